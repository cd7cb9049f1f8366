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
 * {@code bench/run csi} end to end, tiny (2 volumes, 1 warm-up lifecycle): a real all-in-one
 * daemon, the eight CSI calls over its socket and the raw baseline, and every row of the table
 * measured and printed, whatever the numbers (never a timed assertion). Root (loop devices, mounts).
 */
class CsiBenchSmokeTest {
    @Test
    void everyCallIsMeasuredWithItsBaseline() throws Exception {
        requireRoot();
        CsiBench.Result r = CsiBench.run(CsiBench.Options.parse(new String[] {"--volumes", "2", "--warm", "1"}),
                Launcher.ofThisCheckout());
        String out = r.render();
        System.out.print(out);
        List<String> lines = out.strip().lines().toList();
        List<String> rows = CsiBench.rowNames();
        assertEquals(2 + rows.size(), lines.size(), out);
        for (int i = 0; i < rows.size(); i++) {
            assertTrue(lines.get(2 + i).startsWith("| " + rows.get(i) + " | 2 | "), lines.get(2 + i));
        }
        for (int k = 0; k < CsiBench.CALLS.size(); k++) {
            assertTrue(r.call(k).min() > 0, CsiBench.CALLS.get(k) + " has no measurement");
            if (CsiBench.RAW.get(k) != null) {
                assertTrue(Stats.micros(r.raw()[k]).min() > 0, CsiBench.CALLS.get(k) + " has no raw baseline");
            }
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
