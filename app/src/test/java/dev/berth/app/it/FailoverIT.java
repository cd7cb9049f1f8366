package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.app.testing.Failover;
import dev.berth.app.testing.Failover.Result;
import dev.berth.app.testing.Failover.Scenario;
import dev.berth.app.testing.MultiHost;
import dev.berth.host.testing.Root;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fail-over scenarios, short: one run each on a 3-host harness ({@code e2e/hosts},
 * one dockerd and one agent per host, 3 etcd members, 2 controllers, lease TTL 2 s). A writer
 * container on hA appends fsync'd records; hA fails; {@code docker run} on hB must succeed without a
 * manual step, and then: no acknowledged record lost, no record of hA after hB's first, fsck clean,
 * hA back holds nothing of the volume and says what it gave up ({@link Failover} has the checks;
 * {@code e2e/hosts/failover} runs them 20 times each). Its own names (prefix bhci, bridge
 * 10.97.0.0/24, folder /var/tmp/berth-failover-it): the default dockerd and other tests are not touched.
 */
class FailoverIT {
    static MultiHost mh;
    static Failover failover;

    @BeforeAll
    static void up() {
        Root.require();
        EtcdCluster.assumeInstalled();
        boolean docker = Files.isExecutable(Path.of("/usr/sbin/dockerd")) && Files.isExecutable(Path.of("/usr/bin/docker"));
        if (Boolean.getBoolean("berth.requireDocker")) {
            assertTrue(docker, "/usr/sbin/dockerd or /usr/bin/docker is missing but -Dberth.requireDocker=true: apt-get install docker.io");
        }
        assumeTrue(docker, "needs docker.io (dockerd and docker): apt-get install docker.io");
        // A fixed folder: a harness left by a killed run is taken down by the next up (and by .ci/run's trap).
        Path dir = Path.of("/var/tmp/berth-failover-it");
        mh = MultiHost.up(dir, "bhci", "10.97.0", "2s");
        failover = new Failover(mh, Failover.Options.ci());
    }

    @AfterAll
    static void down() {
        if (mh != null) {
            mh.close();
        }
    }

    @Test
    void hostKilled() throws Exception {
        check(failover.run(Scenario.KILLED, "fo-killed"));
    }

    @Test
    void hostCutOffWhileItsWriterRuns() throws Exception {
        check(failover.run(Scenario.CUT, "fo-cut"));
    }

    @Test
    void onlyTheAgentKilled() throws Exception {
        check(failover.run(Scenario.AGENT, "fo-agent"));
    }

    @Test
    void hostCutOffAndHealedAfterTheTakeover() throws Exception {
        check(failover.run(Scenario.HEAL, "fo-heal"));
    }

    private static void check(Result r) throws Exception {
        if (!r.ok()) {
            String log = mh.agentLog(Failover.A);
            Assertions.fail(r.scenario().label() + ": " + String.join("\n  ", r.problems()) + "\n" + r
                    + "\n--- harness:\n" + mh.status()
                    + "\n--- " + Failover.A + "'s agent log (end):\n" + log.substring(Math.max(0, log.length() - 4000))
                    + "\n--- " + Failover.B + "'s agent log (end):\n" + tail(mh.agentLog(Failover.B), 6000));
        }
    }

    private static String tail(String log, int chars) {
        return log.substring(Math.max(0, log.length() - chars));
    }
}
