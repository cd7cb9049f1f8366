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

    /** Formats {@code device}. Callers must have probed first: this never checks again. */
    void makeFilesystem(Path device, FsType type);

    /**
     * Checks the filesystem on {@code device} before it is mounted: reads its superblock, and runs
     * the filesystem's own check only when that records errors, a recovery or a repair to finish
     * (ext4: {@code e2fsck -p}, which also fixes what is safe to fix; xfs: {@code xfs_repair -n},
     * which only reports). With {@code always}, the check runs whatever the superblock says (after
     * a mount failed). Never throws for what it finds: the caller decides what to do with it.
     */
    FilesystemCheck checkFilesystem(Path device, String fsType, boolean always);

    void mount(Path source, Path target, String fsType, List<String> options);

    /** Unmounts {@code target}; a target that is not mounted is not an error. */
    void unmount(Path target);

    /** The mount whose mount point is exactly {@code target}, if any. */
    Optional<MountEntry> mountAt(Path target);

    /** This host's mount table (this process's mount namespace). */
    List<MountEntry> mounts();

    /**
     * Bytes the given files occupy on disk (allocated blocks, each file once), for sparse files
     * whose apparent size says nothing about the space they use. Files that do not exist count 0.
     */
    long allocatedBytes(List<Path> files);

    record LoopDevice(Path device, Path backingFile) {
    }

    /** A file as the kernel knows it: stat(2)'s st_dev and st_ino. */
    record FileId(long device, long inode) {
    }

    record MountEntry(String source, Path target, String fsType) {
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
