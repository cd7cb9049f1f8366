package dev.berth.store.etcd.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The launcher itself: members start, die, come back, and leave nothing behind. */
class EtcdClusterTest {
    @Test
    void threeMembersSurviveOneKillAndCleanUp() {
        Path dir;
        try (EtcdCluster cluster = EtcdCluster.start(3)) {
            dir = cluster.dir();
            assertTrue(cluster.endpoints().matches("etcd://127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+"),
                    cluster.endpoints());
            cluster.etcdctl("put", "k", "v1");
            cluster.kill9(0);
            assertFalse(cluster.isRunning(0));
            // A write in flight while the leader dies can time out ("possibly due to previous leader
            // failure"): wait for the survivors to have a leader, as a client would retry.
            cluster.awaitHealthy();
            cluster.etcdctl("put", "k", "v2");
            cluster.restart(0);
            assertTrue(cluster.isRunning(0));
            String got = cluster.etcdctl("--endpoints=" + cluster.clientUrls().get(0), "get", "k", "--print-value-only");
            assertEquals("v2", got.strip(), "the restarted member caught up");
            assertTrue(Files.isDirectory(dir));
        }
        assertFalse(Files.exists(dir), "the temp folder is removed at close");
    }
}
