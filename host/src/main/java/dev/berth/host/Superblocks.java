package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads what a filesystem's superblock records about its health, without starting a tool: a
 * mount that needs no check must stay as fast as before (a tool costs a few ms, reading 4 KiB
 * costs microseconds). Only the few fields that say "check me" are read; offsets are those of the
 * kernel's fs/ext4/ext4.h (struct ext4_super_block) and fs/xfs/libxfs/xfs_format.h (struct xfs_dsb).
 */
final class Superblocks {
    private static final int EXT4_OFFSET = 1024;
    private static final int EXT4_MAGIC = 0xEF53;
    private static final int EXT4_VALID_FS = 0x1;
    private static final int EXT4_ERROR_FS = 0x2;
    private static final int EXT4_ORPHAN_FS = 0x4;
    private static final int EXT4_FEATURE_INCOMPAT_RECOVER = 0x4;
    private static final int EXT4_FEATURE_COMPAT_HAS_JOURNAL = 0x4;
    private static final int EXT4_FEATURE_INCOMPAT_64BIT = 0x80;
    private static final int XFS_MAGIC = 0x58465342; // "XFSB"
    private static final int XFS_SB_VERSION_5 = 5;
    private static final int XFS_SB_FEAT_INCOMPAT_NEEDSREPAIR = 1 << 4;

    private Superblocks() {
    }

    /** Problems the ext4 superblock of {@code device} records; empty when there is no ext4 superblock. */
    static Optional<List<String>> ext4(Path device) {
        return ext4(read(device, EXT4_OFFSET, 1024));
    }

    static Optional<List<String>> ext4(ByteBuffer sb) {
        sb.order(ByteOrder.LITTLE_ENDIAN);
        if (sb.limit() < 1024 || (sb.getShort(0x38) & 0xffff) != EXT4_MAGIC) {
            return Optional.empty();
        }
        int state = sb.getShort(0x3A) & 0xffff;
        int compat = sb.getInt(0x5C);
        int incompat = sb.getInt(0x60);
        long errorCount = sb.getInt(0x194) & 0xffffffffL;
        List<String> problems = new ArrayList<>();
        if ((state & EXT4_ERROR_FS) != 0) {
            problems.add("the kernel recorded errors in it");
        } else if (errorCount > 0) {
            problems.add("it records " + errorCount + " error" + (errorCount == 1 ? "" : "s"));
        }
        if ((incompat & EXT4_FEATURE_INCOMPAT_RECOVER) != 0) {
            problems.add("its journal needs recovery (it was not unmounted cleanly)");
        } else if ((compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) == 0 && (state & EXT4_VALID_FS) == 0) {
            problems.add("it has no journal and was not unmounted cleanly");
        }
        if ((state & EXT4_ORPHAN_FS) != 0) {
            problems.add("an orphan recovery did not finish");
        }
        return Optional.of(List.copyOf(problems));
    }

    /** Problems the xfs superblock of {@code device} records; empty when there is no xfs superblock. */
    static Optional<List<String>> xfs(Path device) {
        return xfs(read(device, 0, 512));
    }

    static Optional<List<String>> xfs(ByteBuffer sb) {
        sb.order(ByteOrder.BIG_ENDIAN);
        if (sb.limit() < 512 || sb.getInt(0) != XFS_MAGIC) {
            return Optional.empty();
        }
        List<String> problems = new ArrayList<>();
        if (sb.get(126) != 0) {
            problems.add("mkfs.xfs did not finish making it (sb_inprogress)");
        }
        int version = sb.getShort(100) & 0xf;
        if (version == XFS_SB_VERSION_5 && (sb.getInt(216) & XFS_SB_FEAT_INCOMPAT_NEEDSREPAIR) != 0) {
            problems.add("a repair did not finish (the needsrepair flag is set)");
        }
        return Optional.of(List.copyOf(problems));
    }

    /**
     * The size the filesystem on {@code device} spans, from its superblock: ext4 blocks_count
     * (lo, and hi with the 64bit feature) × block size; xfs sb_dblocks × sb_blocksize. Empty for
     * anything else.
     */
    static java.util.OptionalLong size(Path device) {
        java.util.OptionalLong ext4 = ext4Size(read(device, EXT4_OFFSET, 1024));
        return ext4.isPresent() ? ext4 : xfsSize(read(device, 0, 512));
    }

    static java.util.OptionalLong ext4Size(ByteBuffer sb) {
        sb.order(ByteOrder.LITTLE_ENDIAN);
        if (sb.limit() < 1024 || (sb.getShort(0x38) & 0xffff) != EXT4_MAGIC) {
            return java.util.OptionalLong.empty();
        }
        long blocks = sb.getInt(0x4) & 0xffffffffL;
        if ((sb.getInt(0x60) & EXT4_FEATURE_INCOMPAT_64BIT) != 0) {
            blocks |= (sb.getInt(0x150) & 0xffffffffL) << 32;
        }
        return java.util.OptionalLong.of(blocks * (1024L << sb.getInt(0x18)));
    }

    static java.util.OptionalLong xfsSize(ByteBuffer sb) {
        sb.order(ByteOrder.BIG_ENDIAN);
        if (sb.limit() < 512 || sb.getInt(0) != XFS_MAGIC) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(sb.getLong(8) * (sb.getInt(4) & 0xffffffffL));
    }

    private static ByteBuffer read(Path device, long offset, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            DeviceReads.fill(ch, buf, offset);
        } catch (IOException e) {
            throw new BackendFailure("cannot read the superblock of " + device + ": " + e,
                    "Berth reads it before mounting; run as root", e);
        }
        return buf.flip();
    }
}
