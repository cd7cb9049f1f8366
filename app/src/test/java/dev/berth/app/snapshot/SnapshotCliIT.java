package dev.berth.app.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.RestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots, clones and expansion through the CLI and the REST routes, on real loop volumes.
 * {@code api.taskWait} is 1ms, so every change goes the 202-and-task way the CLI follows.
 */
class SnapshotCliIT {
    @TempDir
    Path dir;
    LocalBerth berth;
    Cli cli;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "snap-node", Map.of("api.taskWait", "1ms"));
        cli = berth.cli;
    }

    @AfterEach
    void stop() {
        if (berth != null) {
            berth.close();
        }
        assertEquals(List.of(), Sys.mountsUnder(dir), "mounts leaked");
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    private Cli.Result ok(String... args) {
        Cli.Result r = cli.run(args);
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r);
        return r;
    }

    private Path mount(String volume) {
        return Path.of(ok("volume", "mount", volume).out().strip());
    }

    @Test
    void snapshotRestoreCloneExpandAndRemove() throws Exception {
        ok("volume", "create", "v");
        Path v = mount("v");
        Files.writeString(v.resolve("before"), "1");
        assertEquals("v@s1\n", ok("snapshot", "create", "v", "s1").out());
        Files.writeString(v.resolve("after"), "2");

        assertEquals("v@s1\n", ok("snapshot", "ls", "--volume", "v", "-q").out());
        assertTrue(ok("snapshot", "ls").out().contains("s1"));
        JsonNode s = Json.MAPPER.readTree(ok("snapshot", "inspect", "v@s1", "-o", "json").out());
        assertEquals("s1", s.path("name").asText());
        assertEquals("v", s.path("volumeName").asText());
        assertTrue(s.path("volumeExists").asBoolean());

        assertEquals("r\n", ok("volume", "create", "r", "--from-snapshot", "v@s1").out());
        Path r = mount("r");
        assertEquals("1", Files.readString(r.resolve("before")));
        assertFalse(Files.exists(r.resolve("after")), "data written after the snapshot is not in it");

        ok("volume", "unmount", "v");
        assertEquals("c\n", ok("volume", "clone", "v", "c").out());
        Path c = mount("c");
        assertEquals("2", Files.readString(c.resolve("after")));
        Files.writeString(c.resolve("only-in-clone"), "3");
        assertFalse(Files.exists(mount("v").resolve("only-in-clone")), "a clone is independent of its source");

        Cli.Result both = cli.run("volume", "create", "x", "--from-snapshot", "v@s1", "--from-volume", "v");
        assertEquals(2, both.code(), both.toString());
        assertTrue(both.err().contains("--from-snapshot and --from-volume"), both.err());

        // Unmounted: online growth is SnapshotIT's (it depends on the host's capabilities); here the CLI's part.
        ok("volume", "unmount", "c");
        JsonNode grown = Json.MAPPER.readTree(ok("volume", "expand", "c", "128M", "-o", "json").out());
        assertEquals(128L << 20, grown.path("sizeBytes").asLong(), grown.toString());
        Cli.Result smaller = cli.run("volume", "expand", "c", "32M");
        assertEquals(2, smaller.code(), smaller.toString());

        // A volume with snapshots is refused, naming them; --force removes them and says so.
        ok("volume", "unmount", "v");
        Cli.Result refused = cli.run("volume", "rm", "v");
        assertEquals(4, refused.code(), refused.toString());
        assertTrue(refused.err().contains("s1"), refused.err());
        assertEquals("removed snapshot v@s1\nremoved v\n", ok("volume", "rm", "--force", "v").out());
        assertEquals("", ok("snapshot", "ls", "-q").out());
    }

    @Test
    void keptSnapshotsOutliveTheirVolume() throws Exception {
        ok("volume", "create", "k");
        Files.writeString(mount("k").resolve("kept"), "k");
        ok("volume", "unmount", "k");
        ok("snapshot", "create", "k", "ks");
        assertEquals("removed k\n", ok("volume", "rm", "k", "--keep-snapshots").out());
        assertTrue(ok("snapshot", "ls").out().contains("k (removed)"));
        ok("volume", "create", "k2", "--from-snapshot", "k@ks");
        assertEquals("k", Files.readString(mount("k2").resolve("kept")));
        assertEquals("removed snapshot k@ks\n", ok("snapshot", "rm", "k@ks").out());
        Cli.Result gone = cli.run("snapshot", "inspect", "k@ks");
        assertEquals(3, gone.code(), gone.toString());
    }

    @Test
    void badRequestsAreRefusedByTheRoutes() {
        try (RestClient c = RestClient.unix(dir.resolve("berth.sock"))) {
            ok("volume", "create", "b");
            assertStatus(c.call(RestClient.Method.POST, "/v1/volumes",
                    Map.of("name", "n", "fromSnapshot", "b@s", "fromVolume", "b")), 400, "fromSnapshot and fromVolume");
            assertStatus(c.call(RestClient.Method.DELETE, "/v1/volumes/b?snapshots=all", null), 400, "snapshots=all");
            assertStatus(c.call(RestClient.Method.GET, "/v1/snapshots/" + RestClient.enc("a@b@c"), null), 400, "more than one '@'");
            assertStatus(c.call(RestClient.Method.POST, "/v1/snapshots", Map.of("name", "s")), 400, "volume to snapshot");
            assertStatus(c.call(RestClient.Method.POST, "/v1/volumes/b/expand", Map.of()), 400, "new size");
            assertStatus(c.call(RestClient.Method.GET, "/v1/snapshots/nope", null), 404, "nope");
            // A volume without snapshots: 204 as before snapshots existed, whatever the policy.
            assertEquals(204, c.call(RestClient.Method.DELETE, "/v1/volumes/b?snapshots=delete", null).status());
        }
    }

    @Test
    void aServiceQualifiedReferenceReachesTheRouteWholeAndARemoveNamesWhatWentWithIt() {
        try (RestClient c = RestClient.unix(dir.resolve("berth.sock"))) {
            ok("volume", "create", "b");
            ok("snapshot", "create", "b", "sb");
            // Escaped into one path segment: the '/' of the service does not split the route.
            var inspected = c.call(RestClient.Method.GET, "/v1/snapshots/" + RestClient.enc("local/b@sb"), null);
            assertEquals(200, inspected.status(), inspected.body());
            var removed = c.call(RestClient.Method.DELETE, "/v1/volumes/b?snapshots=delete", null);
            assertEquals(200, removed.status(), removed.body());
            assertTrue(removed.body().contains("\"removedSnapshots\":[\"b@sb\"]"), removed.body());
        }
    }

    private static void assertStatus(RestClient.Response r, int status, String text) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().contains(text), r.body());
    }
}
