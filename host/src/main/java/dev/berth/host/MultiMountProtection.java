package dev.berth.host;

import com.sun.nio.file.ExtendedOpenOption;
import dev.berth.core.error.GuardRefused;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;

/**
 * ext4 multi-mount protection as seen from outside the kernel, and the one place that turns its
 * refusal into {@link GuardRefused}. A kernel that mounts an ext4 with the {@code mmp} feature
 * keeps writing a new sequence number into the MMP block; another kernel's mount (or e2fsck)
 * waits about twice the update interval, sees the number change and fails — mount(2) with EBUSY,
 * e2fsck with "MMP check failed". Those failures alone look like any busy mount point, so after a
 * failed mount or check the MMP block is read (O_DIRECT: the other kernel writes behind this
 * device's page cache): a sequence that is not "clean", last written through another device, is
 * the guard's refusal. Offsets are those of fs/ext4/ext4.h (struct ext4_super_block, struct mmp_struct).
 */
public final class MultiMountProtection {
    static final int INCOMPAT_MMP = 0x100;
    static final int MMP_MAGIC = 0x004D4D50;
    static final int SEQ_CLEAN = 0xFF4D4D50;
    static final int SEQ_FSCK = 0xE24D4D50;
    private static final int PAGE = 4096;

    private MultiMountProtection() {
    }

    /** What the MMP block says, for messages and the decision. */
    record Block(int sequence, String nodeName, String deviceName, int checkInterval) {
        boolean clean() {
            return sequence == SEQ_CLEAN;
        }
    }

    /**
     * Whether the ext4 on {@code deviceOrImage} has the mmp feature (read from its superblock);
     * empty when it holds no ext4 (blank, another filesystem) or cannot be read.
     */
    public static Optional<Boolean> enabled(Path deviceOrImage) {
        try (FileChannel ch = FileChannel.open(deviceOrImage, StandardOpenOption.READ)) {
            ByteBuffer sb = ByteBuffer.allocate(1024);
            DeviceReads.fill(ch, sb, 1024);
            sb.flip().order(ByteOrder.LITTLE_ENDIAN);
            if (sb.limit() < 1024 || (sb.getShort(0x38) & 0xffff) != 0xEF53) {
                return Optional.empty();
            }
            return Optional.of((sb.getInt(0x60) & INCOMPAT_MMP) != 0);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * After an image was copied while mounted (a frozen snapshot): its MMP block still shows the
     * live holder's sequence, so the first mount of the copy would wait about two update intervals
     * (≈ 11 s) before it trusts the block. The copy has no holder: its block is reset to clean
     * ({@code tune2fs -f -E clear_mmp}). Images without MMP, or with a clean block, are left alone.
     * Returns true if it cleared the block.
     */
    public static boolean clearInCopy(Path image, ProcessRunner runner) {
        Optional<Block> b = read(image);
        if (b.isEmpty() || b.get().clean()) {
            return false;
        }
        runner.run(java.util.List.of("tune2fs", "-f", "-E", "clear_mmp", image.toString()), Duration.ofMinutes(2));
        return true;
    }

    /** The MMP block of an ext4 with the mmp feature; empty without the feature, or when unreadable. */
    static Optional<Block> read(Path device) {
        try (FileChannel ch = open(device)) {
            ByteBuffer sb = aligned(PAGE);
            DeviceReads.fill(ch, sb, 0);
            sb.flip().order(ByteOrder.LITTLE_ENDIAN);
            if (sb.limit() < 2048 || (sb.getShort(1024 + 0x38) & 0xffff) != 0xEF53
                    || (sb.getInt(1024 + 0x60) & INCOMPAT_MMP) == 0) {
                return Optional.empty();
            }
            long blockSize = 1024L << sb.getInt(1024 + 0x18);
            long offset = sb.getLong(1024 + 0x168) * blockSize;
            ByteBuffer page = aligned(PAGE);
            DeviceReads.fill(ch, page, offset & ~(PAGE - 1L));
            page.flip().order(ByteOrder.LITTLE_ENDIAN);
            int at = (int) (offset & (PAGE - 1));
            if (page.limit() < at + 0x70 || page.getInt(at) != MMP_MAGIC) {
                return Optional.empty();
            }
            return Optional.of(new Block(page.getInt(at + 4), text(page, at + 16, 64), text(page, at + 80, 32),
                    page.getShort(at + 112) & 0xffff));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Before a check or mount: reads the MMP block twice, one check interval (+ 1 s) apart; a
     * sequence that moved in between means another kernel has the filesystem mounted now.
     */
    static Optional<GuardRefused> heldElsewhere(Path device) {
        Optional<Block> first = read(device);
        if (first.isEmpty() || first.get().clean()) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try {
            Thread.sleep(Duration.ofSeconds(Math.min(Math.max(first.get().checkInterval(), 1), 300) + 1L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        Optional<Block> second = read(device);
        if (second.isEmpty() || second.get().clean() || second.get().sequence() == first.get().sequence()) {
            return Optional.empty(); // let go meanwhile, or stale: the mount's own wait decides
        }
        Block m = second.get();
        String last = "last update through " + (m.deviceName().isEmpty() ? "?" : m.deviceName())
                + (m.nodeName().isEmpty() ? "" : " on node " + m.nodeName());
        return Optional.of(new GuardRefused("the filesystem of " + device + " is still mounted by another kernel "
                + "(its ext4 multi-mount protection block changed within " + Duration.ofNanos(System.nanoTime() - start)
                .toSeconds() + " s; " + last + ")",
                "wait until the other host lets go of it (its agent unmounts it when it fences itself, or the host "
                        + "stops), then retry"));
    }

    /**
     * After a mount or check of {@code device} failed (it took {@code waited}): the guard's refusal
     * if the MMP block shows another device (another kernel) keeping the filesystem, else empty.
     * {@code failure} is what failed, in words; {@code cause} its exception, if there is one.
     */
    static Optional<GuardRefused> refusal(Path device, Duration waited, String failure, Throwable cause) {
        Optional<Block> b = read(device);
        if (b.isEmpty() || b.get().clean() || b.get().deviceName().equals(device.getFileName().toString())) {
            return Optional.empty();
        }
        Block m = b.get();
        String holder = m.sequence() == SEQ_FSCK ? "e2fsck is checking it" : "still mounted by another kernel";
        String last = "last update through " + (m.deviceName().isEmpty() ? "?" : m.deviceName())
                + (m.nodeName().isEmpty() ? "" : " on node " + m.nodeName());
        return Optional.of(new GuardRefused("the filesystem of " + device + " is " + holder
                + " (ext4 multi-mount protection refused the mount after " + waited.toSeconds() + " s; " + last
                + "; " + failure + ")",
                "wait until the other host lets go of it (its agent unmounts it when it fences itself, or the host "
                        + "stops), then retry; only if you are sure no host has it mounted: tune2fs -f -E clear_mmp "
                        + device, cause));
    }

    private static FileChannel open(Path device) throws IOException {
        try {
            return FileChannel.open(device, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return FileChannel.open(device, StandardOpenOption.READ); // e.g. a plain file in a test
        }
    }

    private static ByteBuffer aligned(int size) {
        return ByteBuffer.allocateDirect(size * 2).alignedSlice(PAGE).limit(size);
    }

    private static String text(ByteBuffer b, int at, int max) {
        byte[] raw = new byte[max];
        b.get(at, raw);
        int n = 0;
        while (n < max && raw[n] != 0) {
            n++;
        }
        return new String(raw, 0, n, StandardCharsets.UTF_8).strip();
    }
}
