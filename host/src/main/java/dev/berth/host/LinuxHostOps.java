package dev.berth.host;

import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link HostOps} on Linux: loop devices through losetup, probing through blkid, formatting
 * through mkfs, checks through e2fsck/xfs_repair, mounts through mount/umount, allocated space
 * through du, all run by one {@link ProcessRunner}; the mount table is read from
 * /proc/self/mountinfo directly.
 */
public final class LinuxHostOps implements HostOps {
    private final LoopDevices loops;
    private final FilesystemProbe probe;
    private final FilesystemMaker mkfs;
    private final MountCommands mountCommands;
    private final FilesystemChecker fsck;
    private final DiskUsage du;

    public LinuxHostOps() {
        this(new ProcessRunner());
    }

    public LinuxHostOps(ProcessRunner runner) {
        Objects.requireNonNull(runner, "runner");
        this.loops = new LoopDevices(runner);
        this.probe = new FilesystemProbe(runner);
        this.mkfs = new FilesystemMaker(runner);
        this.mountCommands = new MountCommands(runner);
        this.fsck = new FilesystemChecker(runner);
        this.du = new DiskUsage(runner);
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
