package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import dev.berth.store.embedded.SqliteStateStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker's mount IDs and the references of CLI/REST callers live in separate namespaces: Docker's
 * are stored as docker:&lt;ID&gt;, and neither side can drop the other's. Before: Docker's Unmount
 * with the ID "cli" removed the CLI's reference and unmounted the volume under it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DockerRefNamespaceIT {
    private static final String HEX = "ab".repeat(32);

    @TempDir
    Path dir;
    Path config;
    Daemon daemon;
    PluginClient plugin;
    Cli cli;

    @BeforeEach
    void start() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "ns-node");
        cli = new Cli(config);
        startDaemon();
    }

    private void startDaemon() {
        Config cfg = Wiring.configLoader().load(config, Map.of(), Map.of("docker.enabled", "true"));
        daemon = Daemon.start(cfg, Checkpoints.NONE);
        plugin = PluginClient.connect(dir.resolve("docker/berth.sock"));
    }

    private void stopDaemon() {
        plugin.close();
        daemon.close();
        daemon = null;
    }

    @AfterEach
    void stop() {
        try {
            if (daemon != null) {
                plugin.close();
                for (VolumeView v : daemon.volumes().list(null)) {
                    daemon.volumes().remove(new VolumeRef(v.name(), v.service()), true);
                }
                daemon.close();
            }
        } finally {
            List<String> leaked = Sys.mountsUnder(dir);
            Sys.cleanUp(dir);
            assertEquals(List.of(), leaked, "mounts leaked");
        }
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    private Reply docker(String call, String name, String id) {
        return plugin.call("/VolumeDriver." + call, "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}");
    }

    private List<String> refs(String name) {
        return daemon.volumes().inspect(VolumeRef.of(name)).mountRefs().stream().sorted().toList();
    }

    private boolean mounted(String name) {
        return Sys.mountsUnder(dir).contains(dir.resolve("volumes").resolve(name).toString());
    }

    @Test
    void dockersUnmountWithTheIdCliLeavesTheClisReference() {
        assertEquals(0, cli.run("volume", "create", "db", "--size", "64M").code());
        Cli.Result m = cli.run("volume", "mount", "db");
        assertEquals(0, m.code(), m.toString());
        Reply dm = docker("Mount", "db", "cli");
        assertEquals(200, dm.status(), dm.body());
        assertEquals(m.out().strip(), dm.json().path("Mountpoint").asText());
        assertEquals(List.of("cli", "docker:cli"), refs("db"));

        Reply du = docker("Unmount", "db", "cli");
        assertEquals(200, du.status(), du.body());
        assertEquals(List.of("cli"), refs("db"), "the CLI's reference is still there");
        assertTrue(mounted("db"), "and the volume still mounted for it");
        assertEquals("mounted", daemon.volumes().inspect(VolumeRef.of("db")).status());

        assertEquals(200, docker("Unmount", "db", "cli").status(), "Docker's second Unmount changes nothing");
        assertEquals(List.of("cli"), refs("db"));
        assertEquals(0, cli.run("volume", "unmount", "db").code());
        assertTrue(!mounted("db"));
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    @Test
    void theCliCannotDropDockersReferences() {
        assertEquals(0, cli.run("volume", "create", "db", "--size", "64M").code());
        assertEquals(200, docker("Mount", "db", HEX).status());
        assertEquals(List.of("docker:" + HEX), refs("db"));

        // The bare ID is another caller's reference: not Docker's, nothing to drop.
        assertEquals(0, cli.run("volume", "unmount", "db", "--ref", HEX).code());
        assertEquals(List.of("docker:" + HEX), refs("db"));
        assertTrue(mounted("db"), "Docker's container keeps its volume");

        for (String reserved : List.of("docker:" + HEX, "DOCKER:" + HEX, "csi:/var/lib/kubelet/pods/x")) {
            Cli.Result r = cli.run("volume", "unmount", "db", "--ref", reserved);
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("which is reserved for"), r.err());
            Cli.Result mr = cli.run("volume", "mount", "db", "--ref", reserved);
            assertEquals(2, mr.code(), mr.toString());
        }
        assertEquals(List.of("docker:" + HEX), refs("db"));
        assertTrue(mounted("db"));

        assertEquals(200, docker("Unmount", "db", HEX).status());
        assertTrue(!mounted("db"), "Docker's last Unmount unmounts");
        assertEquals(List.of(), refs("db"));
    }

    @Test
    void mountIdsAnOlderBerthStoredBareAreMovedToDockersNamespaceOnce() throws Exception {
        assertEquals(0, cli.run("volume", "create", "db", "--size", "64M").code());
        // An older Berth stored Docker's mount ID as given: the same bare 64-hex reference.
        assertEquals(0, cli.run("volume", "mount", "db", "--ref", HEX).code());
        assertEquals(0, cli.run("volume", "mount", "db", "--ref", "my-app").code());
        stopDaemon(); // stopping keeps the mount; the next start re-adopts it
        try (SqliteStateStore store = SqliteStateStore.open(dir.resolve("state"))) {
            store.delete("meta/mount-ref-namespaces"); // as before the namespaces existed
        }

        startDaemon();
        assertEquals(List.of("docker:" + HEX, "my-app"), refs("db"));
        assertTrue(mounted("db"));
        assertEquals(200, docker("Unmount", "db", HEX).status(), "the container mounted before the upgrade can unmount");
        assertEquals(List.of("my-app"), refs("db"));

        // Once: a bare 64-hex reference a REST caller writes afterwards stays that caller's.
        assertEquals(0, cli.run("volume", "mount", "db", "--ref", HEX).code());
        stopDaemon();
        startDaemon();
        assertEquals(List.of(HEX, "my-app"), refs("db"));
        assertEquals(200, docker("Unmount", "db", HEX).status());
        assertEquals(List.of(HEX, "my-app"), refs("db"), "Docker cannot drop it");
        assertEquals(0, cli.run("volume", "unmount", "db", "--ref", HEX).code());
        assertEquals(0, cli.run("volume", "unmount", "db", "--ref", "my-app").code());
        assertTrue(!mounted("db"));
    }
}
