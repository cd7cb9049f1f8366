package dev.berth.host;

/** Lets the benchmark (another package) build a host whose loop devices use direct I/O. */
public final class BenchAccess {
    private BenchAccess() {
    }

    public static LinuxHostOps host(ProcessRunner runner, boolean directIo) {
        return new LinuxHostOps(runner, new IoctlBinder(directIo), new NativeMountCalls());
    }
}
