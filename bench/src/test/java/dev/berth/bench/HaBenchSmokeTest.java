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
 * {@code bench/run ha} end to end, tiny (3 dir volumes, 1 loop volume, 2 listings, 1 warm-up
 * round): the three deployments start (embedded, etcd 1 member, etcd 3 members, each a real
 * controller and agent) and every row of the table is measured and printed, whatever the numbers
 * (never a timed assertion). Root (loop devices, mounts) and /usr/bin/etcd.
 */
class HaBenchSmokeTest {
    @Test
    void everyOperationIsMeasuredOnEveryStore() throws Exception {
        require("root (loop devices, mkfs, mount)", isRoot(), "berth.requireRoot");
        require("/usr/bin/etcd (Debian: etcd-server)", EtcdMembers.installed(), "berth.requireEtcd");
        HaBench.Result r = HaBench.run(HaBench.Options.parse(new String[] {"3", "--loop", "1", "--ls", "2", "--warm", "1"}),
                Launcher.ofThisCheckout());
        String out = r.render();
        System.out.print(out);
        List<String> lines = out.strip().lines().toList();
        assertEquals(2 + HaBench.OPS.size() * HaBench.STORES.size(), lines.size(), out);
        int at = 2;
        for (String op : HaBench.OPS) {
            for (String store : HaBench.STORES) {
                String line = lines.get(at++);
                assertTrue(line.startsWith("| " + op + " | " + store + " | "), line);
                assertTrue(r.stats(op, store).p50() > 0, op + " on " + store + " has no measurement");
            }
        }
    }

    private static void require(String what, boolean present, String property) {
        if (Boolean.getBoolean(property)) {
            assertTrue(present, "this test needs " + what + " (-D" + property + "=true)");
        } else {
            assumeTrue(present, "needs " + what);
        }
    }

    private static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
