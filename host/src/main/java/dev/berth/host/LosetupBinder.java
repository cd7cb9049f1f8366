package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Loop devices through losetup (host.syscalls: tools). */
final class LosetupBinder implements LoopBinder {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final ProcessRunner runner;

    LosetupBinder(ProcessRunner runner) {
        this.runner = runner;
    }

    @Override
    public Path bind(Path file) {
        // --nooverlap hands back a device another process attached between LoopDevices' lookup and
        // this call (losetup checks, then sets up, under no lock: see LoopDevices for what is safe).
        String out = runner.run(List.of("losetup", "--nooverlap", "--find", "--show", file.toString()), TIMEOUT)
                .stdout().strip();
        try {
            return HostPaths.loopDevice(Path.of(out));
        } catch (RuntimeException e) {
            throw new BackendFailure("losetup printed '" + CommandLine.tail(out, 200)
                    + "' instead of a loop device for " + file, "run losetup --list to see what happened", e);
        }
    }

    @Override
    public void unbind(Path device) {
        runner.run(List.of("losetup", "--detach", device.toString()), TIMEOUT);
    }
}
