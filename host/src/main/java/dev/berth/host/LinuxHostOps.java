package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
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
    private final FilesystemGrower grower;
    private final FilesystemUsers users = new FilesystemUsers(Path.of("/proc"));
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
        this.grower = new FilesystemGrower(runner);
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
    public Path loopAttachNew(Path file) {
        return loops.attachNew(file);
    }

    @Override
    public Optional<FileId> loopBacking(Path device) {
        return PlatformThreads.call(() -> LoopStatus.backing(device));
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
    public void makeFilesystem(Path device, FsType type, Format format) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(format, "format");
        mkfs.make(device, type, format);
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
    public void bindMount(Path source, Path target, List<String> flags) {
        mountCommands.bind(source, target, flags);
    }

    @Override
    public FsStats statFs(Path path) {
        HostPaths.check("path", path);
        return PlatformThreads.call(() -> {
            try {
                long[] v = Libc.statvfs(path);
                long frsize = v[1] == 0 ? v[0] : v[1];
                return new FsStats(v[2] * frsize, v[4] * frsize, (v[2] - v[3]) * frsize, v[5], v[6]);
            } catch (SyscallException e) {
                throw new dev.berth.core.error.NotFound("statvfs of " + path + " failed: " + e.errno(),
                        "the path must exist and be readable");
            }
        });
    }

    @Override
    public void unmount(Path target) {
        mountCommands.unmount(target);
    }

    @Override
    public Optional<dev.berth.core.error.GuardRefused> heldByAnotherKernel(Path device) {
        return MultiMountProtection.heldElsewhere(device);
    }

    @Override
    public void unmountLazy(Path target) {
        mountCommands.unmountLazy(target);
    }

    @Override
    public List<ProcessUse> processesUsingDevice(Path device) {
        HostPaths.check("device", device);
        try {
            Object rdev = java.nio.file.Files.getAttribute(device, "unix:rdev");
            return users.ofDeviceNode(((Number) rdev).longValue());
        } catch (java.io.IOException | RuntimeException e) {
            return List.of(); // no such device node: nothing can hold it
        }
    }

    @Override
    public List<ProcessUse> processesUsing(Path mountPoint) {
        HostPaths.check("mount point", mountPoint);
        Optional<MountEntry> mounted = MountInfo.at(MountInfo.read(), mountPoint);
        if (mounted.isEmpty()) {
            return List.of();
        }
        Optional<FileId> root = FileIds.of(mounted.get().target());
        return root.map(id -> users.of(id.device())).orElse(List.of());
    }

    @Override
    public void kill(long pid) {
        if (pid <= 1 || pid > Integer.MAX_VALUE || pid == ProcessHandle.current().pid()) {
            throw new InvalidArgument("pid " + pid + " cannot be killed by Berth",
                    "give the pid of one process other than init and Berth itself");
        }
        try {
            Libc.kill((int) pid, Libc.SIGKILL);
        } catch (SyscallException e) {
            if (!e.is(Errno.ESRCH)) {
                throw new BackendFailure("kill(2) of pid " + pid + " failed: " + e.errno(),
                        e.is(Errno.EPERM) ? "killing another user's process needs root" : "check that the pid is valid");
            }
            // gone already: the goal is met
        }
    }

    @Override
    public boolean deviceHeld(Path device) {
        HostPaths.check("device", device);
        return PlatformThreads.call(() -> {
            int fd;
            try {
                fd = Libc.open(device, Libc.O_RDONLY | Libc.O_EXCL | Libc.O_CLOEXEC);
            } catch (SyscallException e) {
                return switch (e.errno().value()) {
                    case Errno.EBUSY -> true;
                    case Errno.ENOENT, Errno.ENXIO -> false; // no such device (any more): nothing holds it
                    default -> throw new BackendFailure("cannot tell whether " + device + " is held: "
                            + e.getMessage(), "an O_EXCL open of a block device needs root");
                };
            }
            Libc.close(fd);
            return false;
        });
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

    @Override
    public void reflink(Path source, Path target) {
        FileCopies.reflink(source, target);
    }

    @Override
    public void copySparse(Path source, Path target, dev.berth.core.spi.Progress progress) {
        FileCopies.copySparse(source, target, progress);
    }

    @Override
    public void freeze(Path mountPoint) {
        FilesystemFreeze.freeze(mountPoint);
    }

    @Override
    public void thaw(Path mountPoint) {
        FilesystemFreeze.thaw(mountPoint);
    }

    @Override
    public long loopRefreshCapacity(Path device) {
        return BlockDevices.refreshLoop(device);
    }

    @Override
    public long deviceSize(Path device) {
        return BlockDevices.size(device);
    }

    @Override
    public long growFilesystem(Path device, Path mountPoint, String fsType) {
        Objects.requireNonNull(fsType, "fsType");
        return grower.grow(device, mountPoint, fsType, () -> statFs(mountPoint).totalBytes()); // statFs only when mounted
    }

    @Override
    public java.util.OptionalLong filesystemSize(Path device) {
        HostPaths.check("device", device);
        return Superblocks.size(device);
    }
}
