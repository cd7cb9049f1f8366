package dev.berth.app.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.Sys;
import dev.berth.app.testing.TestConfig;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import dev.berth.protocols.http.Json;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Docker's plugin protocol over the real unix socket of an in-process daemon, on real loop devices,
 * spoken the way dockerd speaks it (PluginClient: blank Host, no Content-Type, JSON + "\n").
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DockerProtocolIT {
    private static final String ID1 = "1".repeat(64);
    private static final String ID2 = "2".repeat(64);

    @TempDir
    Path dir;
    Path config;
    Path socket;
    Daemon daemon;
    PluginClient plugin;

    @BeforeEach
    void start() throws Exception {
        Root.require();
        config = TestConfig.write(dir, "docker-node");
        socket = dir.resolve("docker/berth.sock");
        daemon = startDaemon();
        plugin = PluginClient.connect(socket);
    }

    private Daemon startDaemon() {
        Config cfg = Wiring.configLoader().load(config, Map.of(), Map.of("docker.enabled", "true"));
        return Daemon.start(cfg, Checkpoints.NONE);
    }

    @AfterEach
    void stop() {
        if (plugin != null) {
            plugin.close();
        }
        if (daemon != null) {
            for (VolumeView v : daemon.volumes().list(null)) {
                daemon.volumes().remove(new VolumeRef(v.name(), v.service()), true);
            }
            daemon.close();
            assertFalse(Files.exists(socket), "the plugin socket is removed when Berth stops");
        }
        assertEquals(List.of(), Sys.mountsUnder(dir), "mounts leaked");
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    // ---- handshake and transport ----------------------------------------------------------------

    @Test
    void activateAndCapabilities() {
        Reply activate = plugin.call("/Plugin.Activate", null);
        assertEquals(200, activate.status(), activate.body());
        assertEquals("{\"Implements\":[\"VolumeDriver\"]}", activate.body());
        assertTrue(activate.headers().get("content-type").startsWith("application/vnd.docker.plugins"),
                activate.headers().toString());

        Reply caps = plugin.call("/VolumeDriver.Capabilities", "{}");
        assertEquals(200, caps.status(), caps.body());
        assertEquals("global", caps.json().path("Capabilities").path("Scope").asText());
        assertEquals(200, plugin.call("/VolumeDriver.Capabilities", null).status(), "an empty body is fine too");
        Reply badCaps = plugin.call("/VolumeDriver.Capabilities", "{nope");
        assertEquals(400, badCaps.status());
        assertTrue(badCaps.err().contains("not valid JSON"), badCaps.body());
    }

    /** Byte for byte what dockerd 20.10 sent on this machine, including "Host:" with no value. */
    @Test
    void blankHostHeaderIsAccepted() throws IOException {
        String body = "{\"Name\":\"nope\"}\n";
        String request = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: 0\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
                + "Accept-Encoding: gzip\r\n\r\n"
                + "POST /VolumeDriver.Get HTTP/1.1\r\nHost: \r\nUser-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: " + body.length() + "\r\nAccept: application/vnd.docker.plugins.v1.2+json\r\n"
                + "Accept-Encoding: gzip\r\n\r\n" + body;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            String replies = readUntil(ch, "no such volume: nope");
            assertTrue(replies.startsWith("HTTP/1.1 200 OK\r\n"), replies);
            assertTrue(replies.contains("{\"Implements\":[\"VolumeDriver\"]}"), replies);
            assertTrue(replies.contains("HTTP/1.1 404 Not Found\r\n"), replies);
        }
    }

    private static String readUntil(SocketChannel ch, String marker) throws IOException {
        StringBuilder got = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!got.toString().contains(marker) && System.nanoTime() < deadline) {
            buf.clear();
            if (ch.read(buf) < 0) {
                break;
            }
            got.append(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8));
        }
        return got.toString();
    }

    @Test
    void socketIsGroupReadableAndAStaleSocketIsReplaced() throws Exception {
        PosixFileAttributes attrs = Files.readAttributes(socket, PosixFileAttributes.class);
        assertEquals("rw-rw----", PosixFilePermissions.toString(attrs.permissions()));
        String expectedGroup;
        try {
            expectedGroup = socket.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName("docker").getName();
        } catch (UserPrincipalNotFoundException none) {
            expectedGroup = "root";
        }
        assertEquals(expectedGroup, attrs.group().getName());

        // A crash leaves the socket file behind; the next start must take the path over.
        plugin.close();
        daemon.close();
        daemon = null;
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "the stale socket file is in place");
        daemon = startDaemon();
        plugin = PluginClient.connect(socket);
        assertEquals(200, plugin.call("/Plugin.Activate", null).status());
    }

    @Test
    void unknownCallsMethodsAndHugeBodiesAreJsonErrors() {
        Reply unknown = plugin.call("/VolumeDriver.Snapshot", "{\"Name\":\"x\"}");
        assertEquals(404, unknown.status());
        assertTrue(unknown.err().contains("no plugin call POST /VolumeDriver.Snapshot"), unknown.body());
        assertTrue(unknown.err().contains("/VolumeDriver.{Create,Remove,Mount"), unknown.body());

        Reply get = plugin.send(io.vertx.core.http.HttpMethod.GET, "/VolumeDriver.List", null);
        assertEquals(405, get.status());
        assertTrue(get.err().contains("plugin calls are POST requests"), get.body());

        Reply huge = plugin.call("/VolumeDriver.Create", "{\"Name\":\"big\",\"Opts\":{\"label.x\":\""
                + "y".repeat(300 * 1024) + "\"}}");
        assertEquals(413, huge.status());
        assertTrue(huge.err().contains("larger than"), huge.body());
        assertEquals(0, list().size(), "nothing was created");
    }

    // ---- create, get, list, path, remove ---------------------------------------------------------

    @Test
    void getOfAnUnknownVolumeIsAnErrAndSoAreTheOtherCalls() {
        for (String call : List.of("Get", "Path", "Mount", "Unmount")) {
            Reply r = plugin.call("/VolumeDriver." + call, "{\"Name\":\"nope\",\"ID\":\"" + ID1 + "\"}");
            assertEquals(404, r.status(), call + ": " + r.body());
            assertEquals("no such volume: nope (list volumes with `berth volume ls`)", r.err(), call);
        }
        // Remove is idempotent: a volume already gone must not stay stuck in dockerd's list.
        Reply rm = plugin.call("/VolumeDriver.Remove", "{\"Name\":\"nope\"}");
        assertEquals(200, rm.status(), rm.body());
        assertEquals("", rm.err());
    }

    @Test
    void createGetListPathRemove() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        Reply created = plugin.call("/VolumeDriver.Create",
                "{\"Name\":\"db\",\"Opts\":{\"size\":\"64M\",\"label.app\":\"pg\",\"Label.Tier\":\"gold\"}}");
        assertEquals(200, created.status(), created.body());
        assertEquals("{}", created.body());

        JsonNode vol = get("db");
        assertEquals("db", vol.path("Name").asText());
        assertFalse(vol.has("Mountpoint"), "not mounted: no Mountpoint: " + vol);
        OffsetDateTime createdAt = OffsetDateTime.parse(vol.path("CreatedAt").asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        assertFalse(createdAt.toInstant().isBefore(before), vol.toString());
        JsonNode status = vol.path("Status");
        assertEquals("local", status.path("service").asText());
        assertEquals("loop", status.path("driver").asText());
        assertEquals("64M", status.path("size").asText());
        assertEquals("ext4", status.path("fsType").asText());
        assertEquals("available", status.path("status").asText());
        assertEquals("", status.path("node").asText());
        assertEquals("", status.path("device").asText());
        assertEquals(0, status.path("mountRefs").asInt(-1));
        assertEquals(vol.path("CreatedAt").asText(), status.path("created").asText());
        assertEquals(Map.of("app", "pg", "Tier", "gold"), Json.MAPPER.convertValue(status.path("labels"), Map.class));
        assertEquals(daemon.volumes().inspect(VolumeRef.of("db")).id(), status.path("id").asText());

        // A named create without -o: dockerd sends "Opts":null. Defaults apply (64M in TestConfig).
        assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"plain\",\"Opts\":null}").status());
        assertEquals("64M", get("plain").path("Status").path("size").asText());
        // The same create again is fine (idempotent).
        assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"plain\"}").status());

        List<JsonNode> listed = list();
        assertEquals(List.of("db", "plain"), listed.stream().map(v -> v.path("Name").asText()).toList());
        for (JsonNode v : listed) {
            assertFalse(v.has("Mountpoint"), v.toString());
            OffsetDateTime.parse(v.path("CreatedAt").asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        }

        Reply path = plugin.call("/VolumeDriver.Path", "{\"Name\":\"db\"}");
        assertEquals(200, path.status(), path.body());
        assertEquals("", path.json().path("Mountpoint").asText("missing"));
        assertEquals("", path.err());

        assertEquals(200, plugin.call("/VolumeDriver.Remove", "{\"Name\":\"db\"}").status());
        assertEquals(404, plugin.call("/VolumeDriver.Get", "{\"Name\":\"db\"}").status());
        assertEquals(List.of("plain"), list().stream().map(v -> v.path("Name").asText()).toList());
        assertEquals(1, poolFiles(), "db's backing file is gone, plain's is left");
    }

    @Test
    void createOptions() throws IOException {
        assertEquals(200, plugin.call("/VolumeDriver.Create",
                "{\"Name\":\"x1\",\"Opts\":{\"size\":\"320M\",\"newfstype\":\"xfs\"}}").status());
        assertEquals("xfs", get("x1").path("Status").path("fsType").asText());
        assertEquals(200, plugin.call("/VolumeDriver.Create",
                "{\"Name\":\"x2\",\"Opts\":{\"size\":\"320M\",\"FSTYPE\":\"xfs\",\"fsType\":\"xfs\"}}").status());
        assertEquals("xfs", get("x2").path("Status").path("fsType").asText());
        assertEquals(200, plugin.call("/VolumeDriver.Create",
                "{\"Name\":\"notes\",\"Opts\":{\"service\":\"scratch\"}}").status());
        assertEquals("scratch", get("notes").path("Status").path("service").asText());
        assertEquals("dir", get("notes").path("Status").path("driver").asText());
        assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"plain\",\"Opts\":{\"size\":\"64M\"}}").status());
        List<JsonNode> before = list();

        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("{\"Name\":\"e1\",\"Opts\":{\"sise\":\"1G\",\"color\":\"red\"}}",
                "unknown options 'sise', 'color' (valid options: size (e.g. 10G), fsType (ext4 or xfs; alias newfstype), "
                        + "service (a Berth service), fromSnapshot (a snapshot: <volume>@<snapshot>), fromVolume (a volume to copy), "
                        + "label.<key>=<value> (repeatable))");
        refused.put("{\"Name\":\"e1b\",\"Opts\":{\"fromSnapshot\":\"plain@s\",\"fromVolume\":\"plain\"}}",
                "options fromSnapshot and fromVolume are both given");
        refused.put("{\"Name\":\"e2\",\"Opts\":{\"size\":\"abc\"}}", "size 'abc' is not a size (write a size like 512M");
        refused.put("{\"Name\":\"e3\",\"Opts\":{\"size\":\"1K\"}}", "size '1K' is below the minimum of 16M");
        refused.put("{\"Name\":\"e4\",\"Opts\":{\"fsType\":\"btrfs\"}}", "filesystem type 'btrfs' is not supported (use one of: ext4, xfs)");
        refused.put("{\"Name\":\"e5\",\"Opts\":{\"fsType\":\"ext4\",\"newfstype\":\"xfs\"}}",
                "option fsType is given twice with different values ('ext4' and 'xfs')");
        refused.put("{\"Name\":\"e6\",\"Opts\":{\"size\":\"\"}}", "option size has no value");
        refused.put("{\"Name\":\"e7\",\"Opts\":{\"service\":\"nope\"}}", "nope");
        refused.put("{\"Name\":\"e8\",\"Opts\":{\"label.\":\"x\"}}", "option label. names no label");
        refused.put("{\"Name\":\"e9\",\"Opts\":{\"size\":64}}", "size '64' is below the minimum");
        refused.put("{\"Name\":\"e10\",\"Opts\":{\"size\":{\"a\":1}}}", "option size must be a string");
        refused.put("{\"Name\":\"e11\",\"Opts\":[\"size=1G\"]}", "Opts must be an object");
        refused.put("{\"Name\":\"bad/name\"}", "volume name 'bad/name' contains '/'");
        // An existing volume with another size: refused, the existing one is kept as it is.
        refused.put("{\"Name\":\"plain\",\"Opts\":{\"size\":\"128M\"}}",
                "volume plain already exists in service local with a different size (64M)");
        for (var e : refused.entrySet()) {
            Reply r = plugin.call("/VolumeDriver.Create", e.getKey());
            assertTrue(r.status() >= 400 && r.status() < 500, e.getKey() + " -> " + r.status() + " " + r.body());
            assertTrue(r.err().contains(e.getValue()), e.getKey() + " -> " + r.err());
        }
        assertEquals(before, list(), "refused creates change nothing");
        assertEquals(3, poolFiles(), "x1, x2 and plain have backing files, nothing else");
    }

    /** Docker has one name space, Berth one per service: a name in two services is listed once. */
    @Test
    void aNameInTwoServicesIsListedOnceAndGetSaysWhy() {
        assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"twin\",\"Opts\":{\"size\":\"64M\"}}").status());
        daemon.volumes().create(new CreateVolume("twin", "scratch", null, null, null));
        assertEquals(List.of("twin"), list().stream().map(v -> v.path("Name").asText()).toList());
        Reply get = plugin.call("/VolumeDriver.Get", "{\"Name\":\"twin\"}");
        assertEquals(400, get.status(), get.body());
        assertTrue(get.err().contains("volume name twin exists in several services: [local, scratch]"), get.err());
    }

    // ---- malformed requests ---------------------------------------------------------------------

    static Stream<String[]> malformed() {
        List<String[]> cases = new ArrayList<>();
        for (String call : List.of("Create", "Remove", "Mount", "Unmount", "Path", "Get")) {
            cases.add(new String[] {call, "", "the request body is empty"});
            cases.add(new String[] {call, "{\"Name\":", "the request body is not valid JSON"});
            cases.add(new String[] {call, "[\"db\"]", "the request body must be a JSON object, got array"});
            cases.add(new String[] {call, "null", "the request body must be a JSON object, got null"});
            cases.add(new String[] {call, "{}", "the request has no Name"});
            cases.add(new String[] {call, "{\"name\":\"db\"}", "the request has no Name"});
            cases.add(new String[] {call, "{\"Name\":\"\"}", "the request has no Name"});
            cases.add(new String[] {call, "{\"Name\":7}", "Name must be a string, got number 7"});
            cases.add(new String[] {call, "{\"Name\":\"db\"} {\"Name\":\"x\"}", "the request body is not valid JSON"});
            cases.add(new String[] {call, "{\"Name\":\"db\",\"Name\":\"x\"}", "Duplicate field 'Name'"});
            cases.add(new String[] {call, "{\"Name\":\"../db\",\"ID\":\"a\"}", "volume name '../db' contains '/'"});
        }
        for (String call : List.of("Mount", "Unmount")) {
            cases.add(new String[] {call, "{\"Name\":\"db\"}", "the request has no ID"});
            cases.add(new String[] {call, "{\"Name\":\"db\",\"ID\":\"\"}", "the request has no ID"});
            cases.add(new String[] {call, "{\"Name\":\"db\",\"ID\":42}", "ID must be a string"});
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformed")
    void malformedRequestsAreRefusedAndChangeNothing(String call, String body, String expected) {
        assertEquals(200, plugin.call("/VolumeDriver.Create", "{\"Name\":\"db\",\"Opts\":{\"size\":\"64M\"}}").status());
        List<JsonNode> before = list();
        Reply r = plugin.call("/VolumeDriver." + call, body.isEmpty() ? null : body);
        assertEquals(400, r.status(), r.body());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertTrue(r.err().contains("(") && r.err().endsWith(")"), "every Err carries a hint: " + r.err());
        assertEquals(before, list());
        VolumeView db = daemon.volumes().inspect(VolumeRef.of("db"));
        assertEquals("available", db.status());
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    // ---- mount and unmount ----------------------------------------------------------------------

    @Test
    void mountsAreCountedPerIdAndTheLastUnmountDetaches() throws Exception {
        plugin.call("/VolumeDriver.Create", "{\"Name\":\"db\",\"Opts\":{\"size\":\"64M\"}}");
        Path data = dir.resolve("volumes/db/data");

        Reply m1 = mount("db", ID1);
        assertEquals(200, m1.status(), m1.body());
        assertEquals(data.toString(), m1.json().path("Mountpoint").asText());
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size());
        assertEquals(List.of(dir.resolve("volumes/db").toString()), Sys.mountsUnder(dir));
        Files.writeString(data.resolve("kept.txt"), "on the volume");

        JsonNode vol = get("db");
        assertEquals(data.toString(), vol.path("Mountpoint").asText());
        assertEquals("mounted", vol.path("Status").path("status").asText());
        assertEquals("docker-node", vol.path("Status").path("node").asText());
        assertTrue(vol.path("Status").path("device").asText().startsWith("/dev/loop"), vol.toString());
        assertEquals(1, vol.path("Status").path("mountRefs").asInt());
        assertEquals(data.toString(), list().getFirst().path("Mountpoint").asText());
        assertEquals(data.toString(), plugin.call("/VolumeDriver.Path", "{\"Name\":\"db\"}").json().path("Mountpoint").asText());

        assertEquals(200, mount("db", ID1).status(), "the same ID again is idempotent");
        assertEquals(List.of(ID1), refs("db"));
        assertEquals(data.toString(), mount("db", ID2).json().path("Mountpoint").asText());
        assertEquals(List.of(ID1, ID2), refs("db"));
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size(), "still one loop device");

        Reply rm = plugin.call("/VolumeDriver.Remove", "{\"Name\":\"db\"}");
        assertEquals(409, rm.status(), rm.body());
        assertTrue(rm.err().startsWith("volume db is mounted on node docker-node (2 mount references)"), rm.err());
        assertEquals("mounted", daemon.volumes().inspect(VolumeRef.of("db")).status());

        assertEquals(200, unmount("db", ID1).status());
        assertEquals(List.of(ID2), refs("db"));
        assertEquals(1, Sys.mountsUnder(dir).size(), "one user left: still mounted");
        Reply last = unmount("db", ID2);
        assertEquals(200, last.status(), last.body());
        assertEquals("{}", last.body());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
        JsonNode after = get("db");
        assertEquals("available", after.path("Status").path("status").asText());
        assertFalse(after.has("Mountpoint"), after.toString());
        assertEquals("", plugin.call("/VolumeDriver.Path", "{\"Name\":\"db\"}").json().path("Mountpoint").asText());
        assertEquals(200, unmount("db", ID2).status(), "a second Unmount of the same ID changes nothing");

        Path again = Path.of(mount("db", ID1).json().path("Mountpoint").asText());
        assertEquals("on the volume", Files.readString(again.resolve("kept.txt")));
        unmount("db", ID1);
    }

    @Test
    void concurrentMountsOfOneVolumeAttachOnceAndCountEveryId() throws Exception {
        plugin.call("/VolumeDriver.Create", "{\"Name\":\"shared\",\"Opts\":{\"size\":\"64M\"}}");
        int n = 8;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(String.format("%064x", i + 1));
        }
        List<String> paths = inParallel(ids, (c, id) -> mount(c, "shared", id));
        assertEquals(1, paths.stream().distinct().count(), paths.toString());
        assertEquals(dir.resolve("volumes/shared/data").toString(), paths.getFirst());
        assertEquals(1, Sys.loopsUnder(dir.resolve("pool")).size(), "one attach");
        assertEquals(1, Sys.mountsUnder(dir).size(), "one mount");
        assertEquals(ids, refs("shared").stream().sorted().toList());
        assertEquals(n, get("shared").path("Status").path("mountRefs").asInt());

        List<String> unmounted = inParallel(ids, (c, id) -> unmount(c, "shared", id));
        assertEquals(List.of("{}"), unmounted.stream().distinct().toList());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
        assertEquals("available", daemon.volumes().inspect(VolumeRef.of("shared")).status());
    }

    /** Runs one call per id, each on its own connection, all released at the same moment. */
    private List<String> inParallel(List<String> ids, BiFunction<PluginClient, String, Reply> call) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> futures = new ArrayList<>();
        List<String> out = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(ids.size())) {
            for (String id : ids) {
                futures.add(pool.submit(() -> {
                    try (PluginClient c = PluginClient.connect(socket)) {
                        go.await();
                        Reply r = call.apply(c, id);
                        if (r.status() != 200) {
                            throw new AssertionError(id + ": " + r.body());
                        }
                        JsonNode mp = r.json().path("Mountpoint");
                        return mp.isMissingNode() ? r.body() : mp.asText();
                    }
                }));
            }
            go.countDown();
            for (Future<String> f : futures) {
                out.add(f.get(2, TimeUnit.MINUTES));
            }
        }
        return out;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private Reply mount(String name, String id) {
        return mount(plugin, name, id);
    }

    private Reply unmount(String name, String id) {
        return unmount(plugin, name, id);
    }

    private static Reply mount(PluginClient c, String name, String id) {
        return c.call("/VolumeDriver.Mount", "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}");
    }

    private static Reply unmount(PluginClient c, String name, String id) {
        return c.call("/VolumeDriver.Unmount", "{\"Name\":\"" + name + "\",\"ID\":\"" + id + "\"}");
    }

    private JsonNode get(String name) {
        Reply r = plugin.call("/VolumeDriver.Get", "{\"Name\":\"" + name + "\"}");
        assertEquals(200, r.status(), r.body());
        return r.json().path("Volume");
    }

    private List<JsonNode> list() {
        Reply r = plugin.call("/VolumeDriver.List", "{}");
        assertEquals(200, r.status(), r.body());
        List<JsonNode> out = new ArrayList<>();
        r.json().path("Volumes").forEach(out::add);
        return out;
    }

    /** Docker's mount IDs, as stored in the docker: namespace of mount references. */
    private List<String> refs(String name) {
        List<String> stored = daemon.volumes().inspect(VolumeRef.of(name)).mountRefs();
        assertTrue(stored.stream().allMatch(r -> r.startsWith("docker:")), "Docker's references are docker:<ID>: " + stored);
        return stored.stream().map(r -> r.substring("docker:".length())).toList();
    }

    /** Image files in the loop pool (each also has its <id>.meta.json, which goes with it). */
    private long poolFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("pool"))) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            long images = names.stream().filter(n -> n.endsWith(".img")).count();
            assertEquals(images, names.stream().filter(n -> n.endsWith(".meta.json")).count(), "one metadata file per image: " + names);
            assertEquals(2 * images, names.size(), "nothing else in the pool: " + names);
            return images;
        }
    }
}
