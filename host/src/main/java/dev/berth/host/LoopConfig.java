package dev.berth.host;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

/**
 * {@code struct loop_config} and {@code struct loop_info64} from linux/loop.h, and the ioctl
 * numbers Berth uses. Sizes (checked by LoopConfigTest against the header): loop_info64 232 bytes,
 * loop_config 304.
 */
final class LoopConfig {
    static final long LOOP_SET_FD = 0x4C00;
    static final long LOOP_CLR_FD = 0x4C01;
    static final long LOOP_SET_STATUS64 = 0x4C04;
    static final long LOOP_CONFIGURE = 0x4C0A;
    static final long LOOP_CTL_GET_FREE = 0x4C82;

    static final int LO_FLAGS_READ_ONLY = 1;
    static final int LO_FLAGS_AUTOCLEAR = 4;
    static final int LO_FLAGS_DIRECT_IO = 16;
    static final int LO_NAME_SIZE = 64;

    static final StructLayout INFO64 = MemoryLayout.structLayout(
            JAVA_LONG.withName("lo_device"),
            JAVA_LONG.withName("lo_inode"),
            JAVA_LONG.withName("lo_rdevice"),
            JAVA_LONG.withName("lo_offset"),
            JAVA_LONG.withName("lo_sizelimit"),
            JAVA_INT.withName("lo_number"),
            JAVA_INT.withName("lo_encrypt_type"),
            JAVA_INT.withName("lo_encrypt_key_size"),
            JAVA_INT.withName("lo_flags"),
            MemoryLayout.sequenceLayout(LO_NAME_SIZE, JAVA_BYTE).withName("lo_file_name"),
            MemoryLayout.sequenceLayout(LO_NAME_SIZE, JAVA_BYTE).withName("lo_crypt_name"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("lo_encrypt_key"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("lo_init"));

    static final StructLayout CONFIG = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_INT.withName("block_size"),
            INFO64.withName("info"),
            MemoryLayout.sequenceLayout(8, JAVA_LONG).withName("__reserved"));

    private static final long INFO = CONFIG.byteOffset(groupElement("info"));
    private static final long FLAGS = INFO64.byteOffset(groupElement("lo_flags"));
    private static final long FILE_NAME = INFO64.byteOffset(groupElement("lo_file_name"));

    private LoopConfig() {
    }

    /**
     * Every device gets 512-byte logical sectors, as losetup without direct I/O makes them. Left to
     * the kernel (0), a device with direct I/O takes the backing file's direct-I/O alignment, and
     * that changes under a volume: once an xfs file is reflinked (a snapshot), xfs wants block-aligned
     * direct I/O on it, the device would come up with 4 KiB sectors, and a filesystem made with 512-byte
     * sectors (xfs sectsz=512, ext4 with 1 KiB blocks) would no longer mount. With 512 the kernel
     * keeps the sectors and turns direct I/O off where the file cannot do it (buffered, as losetup's default).
     */
    static final int BLOCK_SIZE = 512;

    /** A zeroed loop_config: backing {@code fd}, 512-byte sectors ({@link #BLOCK_SIZE}), no offset or size limit. */
    static MemorySegment config(Arena arena, int fd, int flags, byte[] fileName) {
        MemorySegment c = arena.allocate(CONFIG);
        c.set(JAVA_INT, CONFIG.byteOffset(groupElement("fd")), fd);
        c.set(JAVA_INT, CONFIG.byteOffset(groupElement("block_size")), BLOCK_SIZE);
        fill(c.asSlice(INFO, INFO64.byteSize()), flags, fileName);
        return c;
    }

    /** A zeroed loop_info64 for LOOP_SET_STATUS64 (kernels before 5.8, which lack LOOP_CONFIGURE). */
    static MemorySegment info(Arena arena, int flags, byte[] fileName) {
        MemorySegment i = arena.allocate(INFO64);
        fill(i, flags, fileName);
        return i;
    }

    /**
     * lo_file_name is what LOOP_GET_STATUS64 reports (losetup shows it where sysfs is missing):
     * the path cut to 63 bytes plus NUL, as losetup cuts it. sysfs's backing_file is the kernel's
     * own path of the open file and is never cut.
     */
    static byte[] fileName(byte[] path) {
        return Arrays.copyOf(path, Math.min(path.length, LO_NAME_SIZE - 1));
    }

    private static void fill(MemorySegment info, int flags, byte[] fileName) {
        info.set(JAVA_INT, FLAGS, flags);
        byte[] name = fileName(fileName);
        MemorySegment.copy(name, 0, info, JAVA_BYTE, FILE_NAME, name.length);
    }
}
