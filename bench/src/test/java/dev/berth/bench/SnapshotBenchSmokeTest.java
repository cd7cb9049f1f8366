package dev.berth.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.core.spi.HostOps;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench/run snapshot} end to end, small (320 MiB volumes with 8 MiB written, 2 runs, 1 warm-up):
 * the two loop-file pools, the raw baseline, Berth's snapshots and expansions through a real
 * all-in-one daemon, and every row of the table measured and printed, whatever the numbers (never a
 * timed assertion); afterwards no mount and no loop device of the benchmark is left. Root.
 */
class SnapshotBenchSmokeTest {
    @Test
    void rawBaselineAloneMeasuresEveryRowAndLeavesNothing() throws Exception {
        requireRoot();
        SnapshotBench.Result r = SnapshotBench.run(options("--raw-only"), Launcher.ofThisCheckout());
        String out = r.render();
        System.out.print(out);
        assertRows(out, r, false);
        assertNothingLeft();
    }

    @Test
    void berthAndRawMeasureEveryRowAndLeaveNothing() throws Exception {
        requireRoot();
        SnapshotBench.Result r = SnapshotBench.run(options(), Launcher.ofThisCheckout());
        String out = r.render();
        System.out.print(out);
        assertRows(out, r, true);
        assertNothingLeft();
    }

    @Test
    void badArgumentsAreRefusedWithWhatToUse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SnapshotBench.Options.parse(new String[] {"--data", "800M"}));
        assertTrue(e.getMessage().contains("at most half of --size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SnapshotBench.Options.parse(new String[] {"--size", "1T"}));
        assertTrue(e.getMessage().contains("like 512M or 1G"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SnapshotBench.Options.parse(new String[] {"--runs"}));
        assertTrue(e.getMessage().contains("--runs needs a value"), e.getMessage());
        assertEquals(new SnapshotBench.Options(5, 1, 1L << 30, 512L << 20, false), SnapshotBench.Options.parse(new String[0]));
    }

    private static SnapshotBench.Options options(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--runs", "2", "--warm", "1", "--size", "320M", "--data", "8M"));
        args.addAll(List.of(more));
        return SnapshotBench.Options.parse(args.toArray(String[]::new));
    }

    /**
     * Every row in order, measured on both sides (Berth's only when it ran); only the ext4 expansion
     * may be skipped, where this host's root may not resize a mounted ext4 (no CAP_SYS_RESOURCE), and
     * then with its reason under the table.
     */
    private static void assertRows(String out, SnapshotBench.Result r, boolean withBerth) {
        List<String> lines = out.strip().lines().toList();
        List<String> names = SnapshotBench.rowNames();
        assertEquals(names, r.rows().stream().map(SnapshotBench.Row::name).toList());
        for (int i = 0; i < names.size(); i++) {
            SnapshotBench.Row row = r.rows().get(i);
            if (row.skipped() != null) {
                assertEquals("expand +64M, mounted ext4 volume", row.name(), row.skipped());
                assertTrue(lines.get(2 + i).startsWith("| " + names.get(i) + " | 0 | - |"), lines.get(2 + i));
                assertTrue(out.contains(row.name() + ": skipped: " + row.skipped()), out);
                continue;
            }
            assertTrue(lines.get(2 + i).startsWith("| " + names.get(i) + " | 2 | "), lines.get(2 + i));
            assertTrue(Stats.micros(row.rawMicros()).min() > 0, names.get(i) + " has no raw baseline");
            if (withBerth) {
                assertTrue(new Stats(row.berth()).min() > 0, names.get(i) + " has no Berth measurement");
            } else {
                assertNull(row.berth(), names.get(i) + " measured Berth with --raw-only");
            }
        }
    }

    /** No mount below, and no loop device on a file below, a benchmark folder of this run's kind. */
    private static void assertNothingLeft() {
        HostOps host = new LinuxHostOps();
        List<Path> mounts = host.mounts().stream().map(HostOps.MountEntry::target)
                .filter(t -> t.toString().startsWith("/var/tmp/berth-snapbench-")).toList();
        assertEquals(List.of(), mounts, "mounts left behind");
        List<Path> loops = host.loops().stream().map(HostOps.LoopDevice::backingFile)
                .filter(f -> f.toString().startsWith("/var/tmp/berth-snapbench-")).toList();
        assertEquals(List.of(), loops, "loop devices left behind");
    }

    private static void requireRoot() {
        boolean root;
        try {
            root = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            root = false;
        }
        if (Boolean.getBoolean("berth.requireRoot")) {
            assertTrue(root, "this test needs root (loop devices, mkfs, mount); CI runs as root");
        } else {
            assumeTrue(root, "needs root (loop devices, mkfs, mount); CI runs these as root");
        }
    }
}
