package dev.berth.host;

import java.nio.file.Path;

/**
 * The two kernel operations on a loop device, without the checks around them (lookup, busy
 * check, release wait), which {@link LoopDevices} does the same way for every binder.
 */
interface LoopBinder {
    /** Binds a free loop device to {@code file} (a resolved path to a regular file); returns /dev/loopN. */
    Path bind(Path file);

    /** Unbinds {@code device}; a device that is not bound (any more) is not an error. */
    void unbind(Path device);
}
