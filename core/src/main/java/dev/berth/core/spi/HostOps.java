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

    void mount(Path source, Path target, String fsType, List<String> options);

    /** Unmounts {@code target}; a target that is not mounted is not an error. */
    void unmount(Path target);

    /** The mount whose mount point is exactly {@code target}, if any. */
    Optional<MountEntry> mountAt(Path target);

    /** This host's mount table (this process's mount namespace). */
    List<MountEntry> mounts();

    record LoopDevice(Path device, Path backingFile) {
    }

    /** A file as the kernel knows it: stat(2)'s st_dev and st_ino. */
    record FileId(long device, long inode) {
    }

    record MountEntry(String source, Path target, String fsType) {
    }
}
