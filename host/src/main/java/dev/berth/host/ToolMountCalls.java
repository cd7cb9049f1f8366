package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** mount(8) and umount(8) through the process runner (host.syscalls: tools). */
final class ToolMountCalls implements MountCalls {
    /** Mounting may replay a journal and unmounting flushes dirty data: both can take a while. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private final ProcessRunner runner;

    ToolMountCalls(ProcessRunner runner) {
        this.runner = runner;
    }

    @Override
    public void mount(Path source, Path target, String fsType, List<String> options) {
        runner.run(MountCommands.command(source, target, fsType, options), TIMEOUT);
    }

    @Override
    public void remountBind(Path target, List<String> flags) {
        runner.run(List.of("mount", "-o", "remount,bind," + String.join(",", flags), target.toString()), TIMEOUT);
    }

    @Override
    public void unmount(Path target) {
        try {
            runner.run(List.of("umount", target.toString()), TIMEOUT);
        } catch (BackendFailure e) {
            throw new BackendFailure(e.getMessage(), "if it is busy, find the processes using it with: fuser -vm " + target, e);
        }
    }

    @Override
    public void unmountLazy(Path target) {
        runner.run(List.of("umount", "-l", target.toString()), TIMEOUT);
    }
}
