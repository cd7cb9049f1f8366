package dev.berth.host;

import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link HostOps} on Linux: loop devices and mounts through system calls (or, with
 * {@link SyscallMode#TOOLS}, through losetup and mount/umount), probing through blkid, formatting
 * through mkfs, checks through e2fsck/xfs_repair, allocated space through du, all tools run by one
 * {@link ProcessRunner}; the mount table and the loop devices are read from /proc and /sys directly.
 */
public final class LinuxHostOps implements HostOps {
    private final LoopDevices loops;
    private final FilesystemProbe probe;
    private final FilesystemMaker mkfs;
    private final MountCommands mountCommands;
    private final FilesystemChecker fsck;
    private final DiskUsage du;
    private final SyscallMode mode;

    /** System calls for loop devices and mounts (the default of host.syscalls). */
    public LinuxHostOps() {
        this(new ProcessRunner());
    }

    public LinuxHostOps(ProcessRunner runner) {
        this(runner, SyscallMode.NATIVE);
    }

    public LinuxHostOps(ProcessRunner runner, SyscallMode mode) {
        this(runner, mode == SyscallMode.NATIVE ? nativeBinder() : new LosetupBinder(runner),
                mode == SyscallMode.NATIVE ? new NativeMountCalls() : new ToolMountCalls(runner));
    }

    LinuxHostOps(ProcessRunner runner, LoopBinder binder, MountCalls mountCalls) {
        Objects.requireNonNull(runner, "runner");
        this.mode = binder instanceof LosetupBinder ? SyscallMode.TOOLS : SyscallMode.NATIVE;
        this.loops = new LoopDevices(runner, binder);
        this.probe = new FilesystemProbe(runner);
        this.mkfs = new FilesystemMaker(runner);
        this.mountCommands = new MountCommands(mountCalls);
        this.fsck = new FilesystemChecker(runner);
        this.du = new DiskUsage(runner);
    }

    /** Which path loop devices and mounts take. */
    public SyscallMode syscalls() {
        return mode;
    }

    private static LoopBinder nativeBinder() {
        SyscallMode.requireNative();
        return new IoctlBinder(true);
    }

    @Override
    public Path loopAttach(Path file) {
        return loops.attach(file);
    }

    @Override
    public Optional<Path> loopFind(Path file) {
        return loops.find(file);
    }

    @Override
    public void loopDetach(Path device) {
        loops.detach(device);
    }

    /** Backing files are as the kernel reports them: a deleted one ends in " (deleted)". */
    @Override
    public List<LoopDevice> loops() {
        return loops.list();
    }

    @Override
    public List<LoopDevice> loopsHolding(FileId file) {
        return loops.holding(file);
    }

    @Override
    public List<String> deviceUsers(Path device) {
        return loops.users(device);
    }

    @Override
    public Optional<String> probeFilesystem(Path device) {
        return probe.probe(device);
    }

    @Override
    public void makeFilesystem(Path device, FsType type) {
        Objects.requireNonNull(type, "type");
        mkfs.make(device, type);
    }

    @Override
    public FilesystemCheck checkFilesystem(Path device, String fsType, boolean always) {
        Objects.requireNonNull(fsType, "fsType");
        return fsck.check(device, fsType, always);
    }

    @Override
    public void mount(Path source, Path target, String fsType, List<String> options) {
        mountCommands.mount(source, target, fsType, options);
    }

    @Override
    public void unmount(Path target) {
        mountCommands.unmount(target);
    }

    @Override
    public Optional<MountEntry> mountAt(Path target) {
        HostPaths.check("mount point", target);
        return MountInfo.at(MountInfo.read(), target);
    }

    @Override
    public List<MountEntry> mounts() {
        return MountInfo.read();
    }

    @Override
    public long allocatedBytes(List<Path> files) {
        return du.allocatedBytes(files);
    }
}
