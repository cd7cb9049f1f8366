package dev.berth.core.spi;

import dev.berth.core.model.FsType;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Host-local operations on Linux: loop devices, filesystems and mounts. Implementations run the
 * system tools through one process runner (argument arrays, timeouts, stderr kept in the error)
 * and throw {@link dev.berth.core.error.BackendFailure} with the tool's own message.
 */
public interface HostOps {

    /** Attaches {@code file} to a loop device, or returns the one it is already attached to. */
    Path loopAttach(Path file);

    /**
     * Attaches {@code file} to a new loop device even if other devices hold it already: on one
     * kernel shared by several simulated hosts, each host must have its own device.
     */
    Path loopAttachNew(Path file);

    /** The id of the file a loop device is bound to (from the kernel), or empty when it is not bound. */
    Optional<FileId> loopBacking(Path device);

    /** The loop device {@code file} is attached to, if any. */
    Optional<Path> loopFind(Path file);

    /**
     * Detaches a loop device; a device that is not attached is not an error. A device that is in
     * use (see {@link #deviceUsers}) is refused with {@link dev.berth.core.error.Busy} and left as
     * it is: {@code losetup --detach} would set autoclear on it, a change to someone else's device.
     */
    void loopDetach(Path device);

    /** Every loop device attached on this host, with its backing file. */
    List<LoopDevice> loops();

    /**
     * Loop devices whose backing file is {@code file} by device and inode, whatever its path says
     * now (a deleted file shows as "{@code <path> (deleted)}"). Slower than {@link #loops()} (it
     * runs losetup); empty where the inodes cannot be read.
     */
    List<LoopDevice> loopsHolding(FileId file);

    /**
     * Who uses a block device now: mounts of it in any mount namespace, devices stacked on it. Empty
     * when nothing is found. {@link #loopDetach} refuses a device that has users.
     */
    List<String> deviceUsers(Path device);

    /** The filesystem type found on {@code device} ("ext4", "xfs", …), or empty when blank. */
    Optional<String> probeFilesystem(Path device);

    /** Formats {@code device} without extra features. Callers must have probed first: this never checks again. */
    default void makeFilesystem(Path device, FsType type) {
        makeFilesystem(device, type, Format.PLAIN);
    }

    /** Formats {@code device} with {@code format}'s features (those that apply to {@code type}). */
    void makeFilesystem(Path device, FsType type, Format format);

    /**
     * Checks the filesystem on {@code device} before it is mounted: reads its superblock, and runs
     * the filesystem's own check only when that records errors, a recovery or a repair to finish
     * (ext4: {@code e2fsck -p}, which also fixes what is safe to fix; xfs: {@code xfs_repair -n},
     * which only reports). With {@code always}, the check runs whatever the superblock says (after
     * a mount failed). Never throws for what it finds: the caller decides what to do with it.
     * Throws {@link dev.berth.core.error.GuardRefused} when the check could not run because the
     * filesystem's own guard (ext4 multi-mount protection) says another kernel has it mounted, as
     * {@link #mount} does when that guard refuses the mount.
     */
    FilesystemCheck checkFilesystem(Path device, String fsType, boolean always);

    void mount(Path source, Path target, String fsType, List<String> options);

    /**
     * Bind-mounts {@code source} (a folder, or a device node onto a file) on {@code target}, then
     * applies the per-mount {@code flags} (ro, nosuid, nodev, noexec, noatime, nodiratime,
     * relatime, strictatime) by a remount of the bind; if that fails the bind is undone, so a
     * read-only request never leaves a writable bind behind.
     */
    void bindMount(Path source, Path target, List<String> flags);

    /** statvfs(3) of the filesystem {@code path} is on. */
    FsStats statFs(Path path);

    /** Unmounts {@code target}; a target that is not mounted is not an error. */
    void unmount(Path target);

    /**
     * Detaches {@code target} lazily (umount2 with MNT_DETACH): it leaves the mount table now, and
     * the kernel lets the filesystem go once its last user does. For a mount that resists an
     * ordinary unmount after its users were stopped; not mounted is not an error.
     */
    void unmountLazy(Path target);

    /**
     * Before a filesystem is checked or mounted: whether another kernel keeps it mounted now, by
     * its ext4 multi-mount protection block (read twice, one update interval apart: a sequence
     * that moves is a live holder). The guard's refusal if so; empty for a clean block, a stale
     * one (a crashed holder: the mount's own wait then decides), or no MMP at all. Much cheaper
     * than letting e2fsck or the mount find out (they wait about 4 and 2 intervals).
     */
    Optional<dev.berth.core.error.GuardRefused> heldByAnotherKernel(Path device);

    /**
     * Every process (but this one) whose cwd, root, an open file or a memory-mapped file is on the
     * filesystem mounted at {@code mountPoint}, in any mount namespace: matched by the
     * filesystem's device number, not by path (a container sees the same filesystem at /data).
     * Empty when {@code mountPoint} is not a mount point here.
     */
    List<ProcessUse> processesUsing(Path mountPoint);

    /**
     * Every process (but this one) with the block device node {@code device} itself open (a raw
     * block volume's user, in any mount namespace), matched by the device number (st_rdev).
     */
    List<ProcessUse> processesUsingDevice(Path device);

    /** SIGKILL to one process; a process that is gone already is not an error. */
    void kill(long pid);

    /**
     * True while the block device is mounted in any mount namespace, or otherwise held open
     * exclusively (an {@code O_EXCL} open of it fails with EBUSY); false for a free or missing
     * device. The probe itself holds the device for a moment.
     */
    boolean deviceHeld(Path device);

    /** The mount whose mount point is exactly {@code target}, if any. */
    Optional<MountEntry> mountAt(Path target);

    /** This host's mount table (this process's mount namespace). */
    List<MountEntry> mounts();

    /**
     * Bytes the given files occupy on disk (allocated blocks, each file once), for sparse files
     * whose apparent size says nothing about the space they use. Files that do not exist count 0.
     */
    long allocatedBytes(List<Path> files);

    // ---- snapshots and expansion (issue 12) --------------------------------------------------

    /**
     * Makes {@code target} (which must not exist) a copy-on-write clone of {@code source} with the
     * FICLONE ioctl: both on one filesystem that supports it (xfs with reflink, btrfs). Never falls
     * back to copying: {@link dev.berth.core.error.NotSupported} where the filesystem cannot
     * (EOPNOTSUPP, EXDEV, EINVAL), and no target is left behind.
     */
    default void reflink(Path source, Path target) {
        throw unsupported();
    }

    /**
     * Copies {@code source} to {@code target} (which must not exist) keeping holes: only the data
     * ranges (SEEK_DATA/SEEK_HOLE) are read and written, the target gets the source's length, and
     * is fsynced before this returns. Reports bytes of data copied to {@code progress}.
     */
    default void copySparse(Path source, Path target, Progress progress) {
        throw unsupported();
    }

    /**
     * Freezes the filesystem mounted at {@code mountPoint} (FIFREEZE): writers block, its on-disk
     * state is consistent until {@link #thaw}. A filesystem already frozen is refused with Busy.
     */
    default void freeze(Path mountPoint) {
        throw unsupported();
    }

    /** Thaws a filesystem frozen by {@link #freeze} (FITHAW); one that is not frozen is not an error. */
    default void thaw(Path mountPoint) {
        throw unsupported();
    }

    /** Makes a loop device show its backing file's current size (LOOP_SET_CAPACITY); returns that size in bytes. */
    default long loopRefreshCapacity(Path device) {
        throw unsupported();
    }

    /** The size of a block device in bytes (BLKGETSIZE64). */
    default long deviceSize(Path device) {
        throw unsupported();
    }

    /**
     * Grows the filesystem of {@code fsType} on {@code device}, mounted at {@code mountPoint}, to the
     * device's size, online (ext4: resize2fs on the device; xfs: xfs_growfs on the mount point).
     * With {@code mountPoint} null the filesystem is not mounted anywhere (ext4 only: e2fsck -f -p,
     * then resize2fs). Online ext4 growth needs CAP_SYS_RESOURCE: without it,
     * {@link dev.berth.core.error.NotSupported} saying so. Returns the filesystem's size in bytes after it.
     */
    default long growFilesystem(Path device, Path mountPoint, String fsType) {
        throw unsupported();
    }

    /** The size in bytes the filesystem on {@code device} has now, from its superblock; empty when unknown. */
    default java.util.OptionalLong filesystemSize(Path device) {
        throw unsupported();
    }

    private static dev.berth.core.error.NotSupported unsupported() {
        return new dev.berth.core.error.NotSupported("this host implementation cannot copy, freeze or grow volumes",
                "run Berth on Linux with its own host operations");
    }

    record LoopDevice(Path device, Path backingFile) {
    }

    /**
     * Features of a new filesystem.
     *
     * @param mmp                 ext4 multi-mount protection ({@code mkfs.ext4 -O mmp}): the kernel then
     *                            refuses a second mount while another kernel has it; xfs has no such thing
     * @param mmpIntervalSeconds  how often the holder's kernel updates the MMP block (mmp_update_interval);
     *                            a second mount waits about 2 × max(5 s, this) + 1 s before it is refused
     */
    record Format(boolean mmp, int mmpIntervalSeconds) {
        public static final int DEFAULT_MMP_INTERVAL = 1;
        public static final int MAX_MMP_INTERVAL = 300;
        public static final Format PLAIN = new Format(false, DEFAULT_MMP_INTERVAL);

        public Format {
            if (mmpIntervalSeconds < 1 || mmpIntervalSeconds > MAX_MMP_INTERVAL) {
                throw new IllegalArgumentException("mmp interval out of range: " + mmpIntervalSeconds);
            }
        }
    }

    /** A file as the kernel knows it: stat(2)'s st_dev and st_ino. */
    record FileId(long device, long inode) {
    }

    /**
     * One line of the mount table.
     *
     * @param root    the folder of the filesystem that is mounted here ("/" unless a bind of a subfolder)
     * @param options the per-mount options (rw or ro, nosuid, noatime, …)
     */
    record MountEntry(String source, Path target, String fsType, String root, List<String> options) {
        public MountEntry {
            root = root == null ? "/" : root;
            options = options == null ? List.of() : List.copyOf(options);
        }

        public MountEntry(String source, Path target, String fsType) {
            this(source, target, fsType, "/", List.of());
        }

        public boolean readOnly() {
            return options.contains("ro");
        }
    }

    /** Space and inodes of the filesystem a path is on (statvfs). */
    record FsStats(long totalBytes, long availableBytes, long usedBytes, long totalInodes, long freeInodes) {
    }

    /**
     * A process that uses a filesystem.
     *
     * @param how what of it is there: "cwd", "root", "fd 3 /data/log" (the fd and its path as the
     *            process sees it), "mmap /data/lib.so"
     */
    record ProcessUse(long pid, String command, String how) {
        public ProcessUse {
            java.util.Objects.requireNonNull(command, "command");
            java.util.Objects.requireNonNull(how, "how");
        }
    }

    /**
     * What a filesystem check found.
     *
     * @param outcome what it means for mounting
     * @param tool    the command that ran ("e2fsck -p /dev/loop3"), or null if the superblock alone answered
     * @param report  what the superblock said and the tool printed, for logs and errors; empty when clean
     */
    record FilesystemCheck(Outcome outcome, String tool, String report) {
        public FilesystemCheck {
            java.util.Objects.requireNonNull(outcome, "outcome");
            report = report == null ? "" : report;
        }

        public enum Outcome {
            /** Nothing to do, or the check found nothing. */
            CLEAN,
            /** The check found problems and fixed them (or replayed the journal); safe to mount. */
            REPAIRED,
            /** Errors are left that the check did not fix: mounting it read-write would build on them. */
            ERRORS,
            /** The check could not run or could not tell (e.g. xfs with a log to replay). */
            UNKNOWN
        }
    }
}
