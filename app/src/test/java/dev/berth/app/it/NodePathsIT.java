package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.app.daemon.Wiring;
import dev.berth.app.testing.Sys;
import dev.berth.core.controller.ControllerService;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.node.NodeService;
import dev.berth.core.node.NodeSession;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CombinedVolumes;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.MountLayout;
import dev.berth.core.service.ServiceRegistry;
import dev.berth.core.service.StateKeys;
import dev.berth.core.service.VolumeDefaults;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.StateStore;
import dev.berth.host.testing.Root;
import dev.berth.protocols.docker.DockerPluginApi;
import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.http.Blocking;
import dev.berth.protocols.http.UnixSocketServer;
import dev.berth.store.embedded.SqliteStateStore;
import dev.berth.store.json.JsonCodec;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node derives every path itself: attachment records and volume records in the store (written
 * here directly, as a hostile or broken controller would hand them to an agent) never become a
 * mount point, a device or an unmount target on the host. One controller and one node in this
 * JVM, the node serving Docker's protocol; the dir driver needs no root, the loop driver does.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ParameterizedClass(name = "host.syscalls = {0}")
@ValueSource(strings = {"native", "tools"})
class NodePathsIT {
    private static final String NODE = "n";
    private static final String DOCKER_ID = "c".repeat(64);
    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();
    StateStore store;
    ControllerService controller;
    CombinedVolumes volumes;
    PluginClient docker;
    Path victim;
    @Parameter
    String syscalls;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                docker: {enabled: false}
                stateDir: %1$s/state
                host: {syscalls: %2$s}
                services:
                  local: {driver: loop, options: {pool: %1$s/pool}}
                  scratch: {driver: dir, options: {root: %1$s/dirs}}
                """.formatted(dir, syscalls));
        Config cfg = Wiring.configLoader().load(file, Map.of(), Map.of());
        HostOps host = Wiring.hostOps(cfg);
        store = SqliteStateStore.open(dir.resolve("state"));
        closeables.add(store);
        ServiceRegistry services = new ServiceRegistry(Wiring.drivers(cfg, host), "local");
        controller = new ControllerService(store, new JsonCodec(), services,
                new VolumeDefaults(64L << 20, FsType.EXT4), Duration.ofSeconds(5), Clock.systemUTC());
        closeables.add(new NodeSession(controller, new Node(NODE, "", "test")).start());
        volumes = new CombinedVolumes(controller, new NodeService(controller, NODE, services, host,
                new MountLayout(dir.resolve("volumes"), "local"), Checkpoints.NONE));
        Vertx vertx = Vertx.vertx();
        closeables.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get());
        Blocking blocking = new Blocking();
        closeables.add(blocking);
        Path socket = dir.resolve("docker.sock");
        closeables.add(new DockerPluginApi(volumes, NODE, blocking).serve(vertx, socket, null));
        docker = PluginClient.connect(socket);
        closeables.add(docker);
        victim = Files.createDirectories(dir.resolve("victim-xyz"));
    }

    @AfterEach
    void stop() throws Exception {
        for (VolumeView v : controller.list(null)) {
            try {
                volumes.remove(new VolumeRef(v.name(), v.service()), true);
            } catch (RuntimeException e) {
                // a test that planted a broken record may leave it unremovable; the clean-up below still runs
            }
        }
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        Sys.run(List.of("/usr/bin/umount", victim.toString()));
        Sys.cleanUp(dir);
    }

    /** What a hostile writer of the store (or of the REST control routes) would leave for this node. */
    private void plant(String volumeId, boolean block) {
        // A node may only write records of a volume it holds: the planter claims it first.
        controller.putAttachment(controller.claim(volumeId, NODE, false, false),
                new Attachment(volumeId, "/dev/loop0", block, victim.toString()));
    }

    private String dockerMount(String name) {
        PluginClient.Reply r = docker.call("/VolumeDriver.Mount", "{\"Name\":\"" + name + "\",\"ID\":\"" + DOCKER_ID + "\"}");
        assertEquals(200, r.status(), r.body());
        return r.json().path("Mountpoint").asText();
    }

    private String dockerPath(String name) {
        return docker.call("/VolumeDriver.Path", "{\"Name\":\"" + name + "\"}").json().path("Mountpoint").asText();
    }

    private void dockerUnmount(String name) {
        PluginClient.Reply r = docker.call("/VolumeDriver.Unmount", "{\"Name\":\"" + name + "\",\"ID\":\"" + DOCKER_ID + "\"}");
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void aHostileRecordNeverBecomesTheDirDriversPath() throws Exception {
        VolumeView v = volumes.create(new CreateVolume("notes", "scratch", null, null, null));
        Path real = dir.resolve("dirs").resolve(v.id()).resolve("data");
        VolumeRef ref = new VolumeRef("notes", "scratch");
        for (boolean block : List.of(false, true)) {
            plant(v.id(), block);
            assertEquals(real.toString(), dockerMount("notes"), "block " + block);
            plant(v.id(), block);
            assertEquals(real.toString(), dockerPath("notes"));
            assertEquals(real.toString(), volumes.path(ref).orElseThrow());
            dockerUnmount("notes");
            assertEquals("", dockerPath("notes"), "not mounted any more");
        }
        assertEquals(List.of(), listing(victim), "nothing was created in the victim folder");
    }

    @Test
    void aRecordThatPointsAtAnotherVolumesDataIsRefused() throws Exception {
        VolumeView mine = volumes.create(new CreateVolume("mine", "scratch", null, null, null));
        VolumeView theirs = volumes.create(new CreateVolume("theirs", "scratch", null, null, null));
        Path theirData = dir.resolve("dirs").resolve(theirs.id());
        Files.writeString(theirData.resolve("secret"), "theirs");
        Volume record = controller.volume(mine.id()).orElseThrow();
        Volume forged = new Volume(record.id(), record.name(), record.service(), record.driver(), theirs.id(),
                record.sizeBytes(), record.fsType(), record.labels(), record.created(), record.filesystem());
        store.put(StateKeys.volume(mine.id()), new JsonCodec().encode(forged));

        BackendFailure e = assertThrows(BackendFailure.class, () -> volumes.mount(new VolumeRef("mine", "scratch"), "r1"));
        assertTrue(e.getMessage().contains("refusing to use another volume's data"), e.getMessage());
        PluginClient.Reply r = docker.call("/VolumeDriver.Mount", "{\"Name\":\"mine\",\"ID\":\"" + DOCKER_ID + "\"}");
        assertTrue(r.json().path("Err").asText().contains("another volume's data"), r.body());
        assertTrue(controller.claimOf(mine.id()).isEmpty(), "refused before anything was claimed");
        assertEquals("theirs", Files.readString(theirData.resolve("secret")));
        store.put(StateKeys.volume(mine.id()), new JsonCodec().encode(record));
    }

    @Test
    void aHostileRecordNeverBecomesALoopVolumesPathOrUnmountTarget() throws Exception {
        Root.require();
        Sys.Out tmpfs = Sys.run(List.of("/usr/bin/mount", "-t", "tmpfs", "-o", "size=1m", "berth-victim", victim.toString()));
        assertEquals(0, tmpfs.code(), tmpfs.stderr());
        Files.writeString(victim.resolve("precious"), "keep me");
        VolumeView v = volumes.create(new CreateVolume("db", "local", null, null, null));
        VolumeRef ref = new VolumeRef("db", "local");
        Path real = dir.resolve("volumes/db");
        for (boolean block : List.of(true, false)) {
            plant(v.id(), block);
            assertEquals(real.resolve("data").toString(), dockerMount("db"), "block " + block);
            assertTrue(Sys.mountsUnder(real).contains(real.toString()), "mounted where the node derives it");
            plant(v.id(), block);
            assertEquals(real.resolve("data").toString(), dockerPath("db"));
            dockerUnmount("db");
            assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir), "umount never ran on the victim (block " + block + ")");
        }
        // Explicitly attached: the unmount of the last reference and the detach use the derived path too.
        volumes.attach(ref);
        assertEquals(real.resolve("data").toString(), volumes.mount(ref, "r1"));
        plant(v.id(), true);
        volumes.unmount(ref, "r1");
        assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir));
        Attachment rewritten = controller.attachment(NODE, v.id()).orElseThrow();
        assertTrue(rewritten.device().startsWith("/dev/loop") && rewritten.mountPoint() == null, rewritten.toString());
        assertTrue(Sys.loopsUnder(dir).stream().anyMatch(l -> l.startsWith(rewritten.device() + " ")),
                "the record now names the device this node found: " + rewritten + " " + Sys.loopsUnder(dir));
        plant(v.id(), true);
        volumes.detach(ref, false);
        assertEquals(List.of(victim.toString()), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
        assertEquals("keep me", Files.readString(victim.resolve("precious")));
    }

    @Test
    void aRecordedFilesystemBerthDoesNotMakeIsNeverUsedAsAMountType() throws Exception {
        Root.require();
        VolumeView v = volumes.create(new CreateVolume("fsrec", "local", null, null, null));
        VolumeRef ref = new VolumeRef("fsrec", "local");
        volumes.mount(ref, "r1");
        volumes.unmount(ref, "r1");
        Volume record = controller.volume(v.id()).orElseThrow();
        assertEquals("ext4", record.filesystem());
        store.put(StateKeys.volume(v.id()), new JsonCodec().encode(record.withFilesystem("tmpfs")));
        volumes.mount(ref, "r2");
        assertEquals("ext4", fsTypeAt(dir.resolve("volumes/fsrec")), "the volume's own filesystem, not an empty RAM disk");
        assertEquals("ext4", controller.volume(v.id()).orElseThrow().filesystem(), "the record is set right again");
        volumes.unmount(ref, "r2");
    }

    /** The filesystem type of the mount at {@code mountPoint}, from this process's mount table. */
    private static String fsTypeAt(Path mountPoint) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f[4].equals(mountPoint.toString())) {
                return line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            }
        }
        return "not mounted";
    }

    private static List<Path> listing(Path folder) throws Exception {
        try (var files = Files.list(folder)) {
            return files.toList();
        }
    }
}
