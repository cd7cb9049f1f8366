package dev.berth.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench/run fast} end to end, once, small (1 iteration, no warm-up, a hundredth of the
 * volumes): every row of the table is measured and printed, whatever the numbers (a smoke test of
 * the harness, never a timed assertion). Real bin/berth, real daemon, real loop devices: root.
 */
class FastBenchSmokeTest {
    @Test
    void everyRowIsMeasuredAndPrinted() throws Exception {
        requireRoot();
        ResultTable t = FastBench.run(FastBench.Options.parse(new String[] {"1", "--warm", "0", "--scale", "0.01"}),
                Launcher.ofThisCheckout());
        assertEquals(FastBench.KEYS, t.rows().stream().map(ResultTable.Row::key).toList());
        String out = t.render();
        System.out.print(out);
        List<String> lines = out.strip().lines().toList();
        assertEquals(2 + FastBench.KEYS.size(), lines.size(), out);
        for (int i = 0; i < FastBench.KEYS.size(); i++) {
            String line = lines.get(2 + i);
            assertTrue(line.startsWith("| " + FastBench.KEYS.get(i) + " |"), line);
            assertTrue(line.endsWith("| pass |") || line.endsWith("| MISS |"), line);
            assertEquals(ResultTable.HEAD.length + 1, line.split("\\|", -1).length - 1, line);
        }
        for (ResultTable.Row r : t.rows()) {
            assertTrue(r.berth().p50() > 0, r.key() + " has no measurement");
            assertTrue(r.baseline() != null && r.baseline().p50() > 0, r.key() + " has no baseline");
        }
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
