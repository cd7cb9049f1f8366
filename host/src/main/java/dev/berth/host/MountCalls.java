package dev.berth.host;

import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's mount and unmount, without the checks around them, which {@link MountCommands}
 * does the same way for both implementations. Failures are BackendFailure, as callers (the
 * filesystem guard's check-and-retry, the known-filesystem probe) expect of a failed mount.
 */
interface MountCalls {
    /** Mounts {@code source} on {@code target}; {@code options} are already checked. */
    void mount(Path source, Path target, String fsType, List<String> options);

    /**
     * Changes the per-mount flags of the bind mount at {@code target} (a remount of the bind:
     * MS_REMOUNT|MS_BIND|flags, {@code mount -o remount,bind,…}); {@code flags} are already checked.
     */
    void remountBind(Path target, List<String> flags);

    /** Unmounts the top mount at {@code target}, the path the mount table names (no lazy detach). */
    void unmount(Path target);

    /** Detaches the top mount at {@code target} lazily (MNT_DETACH, umount -l). */
    void unmountLazy(Path target);
}
