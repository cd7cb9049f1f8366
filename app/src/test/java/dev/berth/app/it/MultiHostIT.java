package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Cluster;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.ServeProcess;
import dev.berth.app.testing.Sys;
import dev.berth.protocols.docker.PluginClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller and two agents as separate processes, TLS and tokens on: a volume mounted through
 * agent A's Docker plugin socket is refused on agent B with A named as the holder; after A lets
 * go, B mounts it and sees A's data.
 */
class MultiHostIT {
    @TempDir
    Path dir;
    Cluster cluster;

    @BeforeEach
    void up() throws Exception {
        Root.require();
        cluster = new Cluster(dir);
        cluster.startController();
    }

    @AfterEach
    void down() throws Exception {
        cluster.close();
        Sys.cleanUp(dir);
    }

    @Test
    void oneWriterAcrossAgents() throws Exception {
        Cli.Result created = Cli.raw(cluster.admin("volume", "create", "shared", "--size", "64M"));
        assertEquals(0, created.code(), created.toString());
        try (ServeProcess a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint());
             ServeProcess b = cluster.startAgent("b", "ca: " + cluster.certificate())) {
            Cli.Result nodes = Cli.raw(cluster.admin("node", "ls"));
            assertEquals(0, nodes.code(), nodes.toString());
            assertTrue(nodes.out().contains("a ") && nodes.out().contains("b ") && nodes.out().contains("alive"), nodes.out());

            // Mounted the way Docker on host a does it: through a's plugin socket.
            String dockerId = "d".repeat(64);
            Path dataA;
            try (PluginClient docker = PluginClient.connect(cluster.dockerSocket("a"))) {
                PluginClient.Reply onA = docker.call("/VolumeDriver.Mount", "{\"Name\":\"shared\",\"ID\":\"" + dockerId + "\"}");
                assertEquals(200, onA.status(), onA.body() + "\n" + a.log());
                dataA = Path.of(onA.json().path("Mountpoint").asText());
            }
            assertEquals(dir.resolve("a/volumes/shared/data"), dataA);
            Files.writeString(dataA.resolve("from-a.txt"), "written on host a");

            Cli.Result inspect = Cli.raw(cluster.admin("volume", "inspect", "shared", "-o", "json"));
            assertTrue(inspect.out().contains("\"node\" : \"a\"") && inspect.out().contains(dockerId), inspect.out());

            Cli.Result onB = Cli.raw(cluster.onAgent("b", "volume", "mount", "shared", "--ref", "app-on-b"));
            assertEquals(4, onB.code(), onB.toString());
            assertTrue(onB.err().contains("attached to node a") && onB.err().contains("lease has"), onB.toString());
            assertEquals(List.of(), Sys.mountsUnder(dir.resolve("b")), "nothing mounted on b");

            // Docker's reference is docker:<ID>: only Docker's own Unmount drops it.
            try (PluginClient docker = PluginClient.connect(cluster.dockerSocket("a"))) {
                PluginClient.Reply offA = docker.call("/VolumeDriver.Unmount", "{\"Name\":\"shared\",\"ID\":\"" + dockerId + "\"}");
                assertEquals(200, offA.status(), offA.body() + "\n" + a.log());
            }
            assertEquals(List.of(), Sys.mountsUnder(dir.resolve("a")));
            Cli.Result onB2 = Cli.raw(cluster.onAgent("b", "volume", "mount", "shared", "--ref", "app-on-b"));
            assertEquals(0, onB2.code(), onB2.toString() + "\n" + b.log());
            assertEquals("written on host a", Files.readString(Path.of(onB2.out().strip()).resolve("from-a.txt")));
            Cli.Result epoch = Cli.raw(cluster.admin("volume", "inspect", "shared", "-o", "json"));
            assertTrue(epoch.out().contains("\"epoch\" : 2") && epoch.out().contains("\"node\" : \"b\""), epoch.out());

            // The controller has no host: host work on its API is refused with a pointer to the agents.
            Cli.Result onController = Cli.raw(cluster.admin("volume", "mount", "shared"));
            assertEquals(2, onController.code(), onController.toString());
            assertTrue(onController.err().contains("controller without one"), onController.toString());

            // Agent restart re-registers and re-adopts its mount.
            assertEquals(143, b.terminate());
            try (ServeProcess b2 = cluster.startAgent("b", "ca: " + cluster.certificate())) {
                assertTrue(b2.log().contains("re-adopted volume shared (1 mount reference)"), b2.log());
                assertEquals(0, Cli.raw(cluster.onAgent("b", "volume", "unmount", "shared", "--ref", "app-on-b")).code());
                assertEquals(List.of(), Sys.loopsUnder(dir));
                Cli.Result rm = Cli.raw(cluster.onAgent("b", "volume", "rm", "shared"));
                assertEquals(0, rm.code(), rm.toString());
            }
        }
    }

    @Test
    void controllerRestartLosesNothing() throws Exception {
        assertEquals(0, Cli.raw(cluster.admin("volume", "create", "kept", "--size", "64M")).code());
        try (ServeProcess a = cluster.startAgent("a", "fingerprint: " + cluster.fingerprint())) {
            assertEquals(0, Cli.raw(cluster.onAgent("a", "volume", "mount", "kept", "--ref", "r1")).code());
            String fp = cluster.fingerprint();
            assertEquals(143, cluster.controller.terminate());
            cluster.startController();
            assertEquals(fp, cluster.fingerprint(), "the certificate is kept across restarts");
            // A restart slower than the 3 s lease (a loaded machine) lets a's lease lapse: a then
            // registers again and claims its mounts anew, so wait for that rather than race it.
            Cli.Result insp = Cli.raw(cluster.admin("volume", "inspect", "kept", "-o", "json"));
            for (long end = System.nanoTime() + 30_000_000_000L; !insp.out().contains("\"status\" : \"mounted\"")
                    && System.nanoTime() < end; ) {
                Thread.sleep(200);
                insp = Cli.raw(cluster.admin("volume", "inspect", "kept", "-o", "json"));
            }
            assertEquals(0, insp.code(), insp.toString());
            assertTrue(insp.out().contains("\"status\" : \"mounted\"") && insp.out().contains("r1"), insp.out() + a.log());
            assertEquals(0, Cli.raw(cluster.onAgent("a", "volume", "unmount", "kept", "--ref", "r1")).code(), a.log());
            assertEquals(0, Cli.raw(cluster.admin("volume", "rm", "kept")).code());
        }
    }
}
