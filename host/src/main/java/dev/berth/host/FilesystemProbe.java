package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.NotFound;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Answers "is anything on this device?" before Berth formats it. The answer must err on the side
 * of "yes": a wrong "blank" destroys data, a wrong "not blank" only asks a human to look. So beyond
 * blkid's filesystem TYPE it also counts a partition table, an ambivalent probe, and (when blkid
 * knows no signature at all) any non-zero byte in a few sampled regions.
 *
 * <p>The sampled regions are read first: where they are all zero there is no signature for blkid to
 * find (the signatures blkid knows lie in the first MiB and a bit, or the last MiB, and none is zeros), so a
 * fresh volume is known blank without starting a process — first mounts stay as fast as the raw
 * tool sequence.
 */
final class FilesystemProbe {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** blkid: 0 = found, 2 = nothing found (also for a missing device!), 8 = several signatures. */
    private static final Set<Integer> BLKID_ANSWERS = Set.of(0, 2, 8);
    private static final int HEAD_BYTES = (1 << 20) + (64 << 10);
    private static final int TAIL_BYTES = 1 << 20;
    private static final int SAMPLE_BYTES = 64 << 10;

    private final ProcessRunner runner;

    FilesystemProbe(ProcessRunner runner) {
        this.runner = runner;
    }

    Optional<String> probe(Path device) {
        HostPaths.check("device", device);
        // blkid answers "nothing found" for a device that does not exist, so check first.
        if (!Files.exists(device)) {
            throw new NotFound("device " + device + " does not exist", "attach the volume first");
        }
        if (!hasData(device)) {
            return Optional.empty();
        }
        // -p: low-level probe of the device itself, never blkid's cache, which can be stale.
        ProcessRunner.Result r = runner.runAllowingExit(
                List.of("blkid", "-p", "-o", "export", device.toString()), TIMEOUT, BLKID_ANSWERS);
        if (r.exitCode() == 8) {
            return Optional.of("several signatures (blkid -p cannot tell which one is valid)");
        }
        if (r.exitCode() == 0) {
            return Optional.of(signature(r.stdout()));
        }
        return Optional.of("unrecognized data (blkid knows no signature on it, but it is not blank)");
    }

    /** TYPE if blkid names one, else the partition table type, else a plain "something is there". */
    static String signature(String export) {
        String type = null;
        String partitionTable = null;
        for (String line : export.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (key.equals("TYPE") && !value.isEmpty()) {
                type = value;
            } else if (key.equals("PTTYPE") && !value.isEmpty()) {
                partitionTable = value;
            }
        }
        if (type != null) {
            return type;
        }
        if (partitionTable != null) {
            return "partition table (" + partitionTable + ")";
        }
        return "unknown signature (blkid found one but named no type)";
    }

    /**
     * Reads the first 1 MiB + 64 KiB, the last MiB and 64 KiB at each quarter: where partition tables,
     * superblocks and their backups live. A fresh volume (sparse file, new cloud disk) is all zero.
     */
    private static boolean hasData(Path device) {
        try (FileChannel ch = open(device)) {
            long size = ch.size();
            List<long[]> regions = new ArrayList<>();
            regions.add(new long[] {0, HEAD_BYTES});
            if (size > HEAD_BYTES) {
                for (int q = 1; q <= 3; q++) {
                    regions.add(new long[] {align(size / 4 * q), SAMPLE_BYTES});
                }
                regions.add(new long[] {Math.max(0, align(size - TAIL_BYTES)), TAIL_BYTES});
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(HEAD_BYTES + 4096).alignedSlice(4096);
            for (long[] region : regions) {
                if (nonZero(ch, buf, region[0], (int) region[1])) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new BackendFailure("cannot read " + device + " to check that it is blank: " + e,
                    "Berth formats a device only after reading it; run as root", e);
        }
    }

    /**
     * Direct I/O: the sampled megabytes are read once and never needed again, and skipping the
     * page cache halves the time a first mount spends here.
     */
    private static FileChannel open(Path device) throws IOException {
        try {
            return FileChannel.open(device, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException noDirectIo) {
            return FileChannel.open(device, StandardOpenOption.READ);
        }
    }

    private static boolean nonZero(FileChannel ch, ByteBuffer buf, long offset, int length) throws IOException {
        buf.clear().limit(length);
        DeviceReads.fill(ch, buf, offset);
        buf.flip();
        while (buf.remaining() >= Long.BYTES) {
            if (buf.getLong() != 0) {
                return true;
            }
        }
        while (buf.hasRemaining()) {
            if (buf.get() != 0) {
                return true;
            }
        }
        return false;
    }

    private static long align(long offset) {
        return offset & ~4095L;
    }
}
