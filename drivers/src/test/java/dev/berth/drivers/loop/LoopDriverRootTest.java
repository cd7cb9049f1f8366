package dev.berth.drivers.loop;

import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import static dev.berth.drivers.loop.LoopDriverTest.GIB;
import static dev.berth.drivers.loop.LoopDriverTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Device;
import dev.berth.core.spi.HostOps.LoopDevice;
import dev.berth.core.spi.HostOps.MountEntry;
import dev.berth.core.spi.NodeDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host side of the loop driver on real loop devices. Needs root. */
class LoopDriverRootTest {
    private static final String A = "0a0a0a0a-0000-4000-8000-00000000000a";
    private static final String B = "0b0b0b0b-0000-4000-8000-00000000000b";

    @TempDir
    Path tmp;
    private final LinuxHostOps host = new LinuxHostOps();
    private LoopDriver driver;
    private NodeDriver node;

    @BeforeEach
    void setUp() {
        Root.require();
        driver = onThisHost(new LinuxHostOps());
        node = driver.node();
    }

    /** A loop driver of this node (its state folder records its devices), e.g. after a restart. */
    private LoopDriver onThisHost(LinuxHostOps h) {
        return new LoopDriver(tmp.resolve("pool"), 1.0, h, LoopSettings.DEFAULT.withStateDir(tmp.resolve("state")));
    }

    /** Unmounts and detaches whatever a test left under the temp folder, even after a failure. */
    @AfterEach
    void cleanUp() throws IOException {
        HostCleanup.under(tmp, host);
    }

    @Test
    void attachAttachedDetach() {
        String id = driver.create(A, spec(GIB));
        assertEquals(Optional.empty(), node.attached(id));
        Device d = node.attach(id);
        assertTrue(d.block());
        assertTrue(d.path().toString().startsWith("/dev/loop"), d.toString());
        assertEquals(d, node.attach(id));
        assertEquals(Optional.of(d), node.attached(id));
        assertEquals(Optional.of(d), onThisHost(new LinuxHostOps()).node().attached(id));
        node.detach(id);
        assertEquals(Optional.empty(), node.attached(id));
        node.detach(id);
    }

    /**
     * A fresh image is one hole, so the first mount may skip the blank check's reads; one byte
     * anywhere — written through the loop device (then closed: the last close flushes it to the
     * image) or into the file — makes it "not known empty", also where the sampled check never looks.
     */
    @Test
    void knownEmptyOnlyUntilAByteIsWrittenAnywhere() throws IOException {
        String id = driver.create(A, spec(GIB));
        Device d = node.attach(id);
        assertTrue(node.knownEmpty(id), "a fresh sparse image holds no data");
        try (var ch = java.nio.channels.FileChannel.open(d.path(), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}), (GIB / 8) * 3 + 4096); // between sampled regions
        }
        assertFalse(node.knownEmpty(id), "a byte written through the device");

        String other = driver.create(B, spec(GIB));
        Path image = tmp.resolve("pool").resolve(other);
        assertTrue(node.knownEmpty(other));
        try (var ch = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), GIB - 1);
        }
        assertFalse(node.knownEmpty(other), "a byte written into the image file");
        assertFalse(node.knownEmpty("f0f0f0f0-0000-4000-8000-0000000000f0.img"), "no image at all");
    }

    @Test
    void attachedBackendsListsOnlyThisPool() throws IOException {
        String a = driver.create(A, spec(GIB));
        String b = driver.create(B, spec(GIB));
        LoopDriver other = new LoopDriver(tmp.resolve("other-pool"), host);
        String c = other.create(A, spec(GIB));
        assertEquals(Set.of(), node.attachedBackends());
        node.attach(a);
        node.attach(b);
        other.node().attach(c);
        assertEquals(Set.of(a, b), node.attachedBackends());
        assertEquals(Set.of(c), other.node().attachedBackends());
        node.detach(b);
        assertEquals(Set.of(a), node.attachedBackends());
    }

    @Test
    void removeWhileAttachedDetachesFirst() {
        String id = driver.create(A, spec(GIB));
        Path device = node.attach(id).path();
        driver.remove(id);
        assertFalse(driver.exists(id));
        assertTrue(host.loops().stream().noneMatch(l -> l.device().equals(device)
                && l.backingFile().toString().contains(id)), host.loops().toString());
    }

    @Test
    void attachOfAMissingVolumeIsNotFound() {
        assertThrows(NotFound.class, () -> node.attach(A + ".img"));
        assertEquals(Optional.empty(), node.attached(A + ".img"));
        node.detach(A + ".img");
    }

    @Test
    void aFullPoolFilesystemRefusesBigVolumes() throws IOException {
        Path small = Files.createDirectory(tmp.resolve("small"));
        new ProcessRunner().run(List.of("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", small.toString()),
                Duration.ofSeconds(30));
        LoopDriver tiny = new LoopDriver(small.resolve("pool"), host);
        OutOfCapacity e = assertThrows(OutOfCapacity.class, () -> tiny.create(A, spec(GIB)));
        assertTrue(e.getMessage().contains("64.0 MiB free"), e.getMessage());
        assertEquals(32L << 20, Files.size(small.resolve("pool").resolve(tiny.create(B, spec(32L << 20)))));
    }

    @Test
    void anImageDeletedFromOutsideIsStillFoundAndDetachReleasesItsDevice() throws IOException {
        String id = driver.create(A, spec(GIB));
        Path device = node.attach(id).path();
        Files.delete(tmp.resolve("pool").resolve(id));
        assertTrue(host.loops().contains(new LoopDevice(device, Path.of(tmp.toRealPath().resolve("pool").resolve(id) + " (deleted)"))),
                host.loops().toString());
        assertEquals(Optional.of(new Device(device, true)), node.attached(id));
        assertEquals(Set.of(id), node.attachedBackends(), "a deleted image's device is still this volume's");
        node.detach(id);
        assertEquals(Optional.empty(), node.attached(id));
        assertTrue(host.loops().stream().noneMatch(l -> l.device().equals(device)), "the device was released");
    }

    @Test
    void aNewProcessFindsTheDeviceOfADeletedImageByItsInodeOrItsName() throws IOException {
        String id = driver.create(A, spec(GIB));
        Path device = node.attach(id).path();
        Files.delete(tmp.resolve("pool").resolve(id));
        // A restarted Berth: nothing in memory; the metadata file has the image's inode.
        LoopDriver restarted = onThisHost(new LinuxHostOps());
        assertEquals(Optional.of(new Device(device, true)), restarted.node().attached(id));
        // Without the metadata file too, the kernel's name for it decides.
        Files.delete(tmp.resolve("pool").resolve(A + ".meta.json"));
        LoopDriver bare = onThisHost(new LinuxHostOps());
        assertEquals(Optional.of(new Device(device, true)), bare.node().attached(id));
        bare.remove(id);
        assertTrue(host.loops().stream().noneMatch(l -> l.device().equals(device)), "remove released the device");
    }

    @Test
    void aFileNamedLikeADeletedImageIsNotTakenForOne() throws IOException {
        String id = driver.create(A, spec(GIB));
        Path pool = tmp.resolve("pool");
        Path impostor = pool.resolve(id + " (deleted)");
        Files.copy(pool.resolve(id), impostor);
        Path foreign = host.loopAttach(impostor);
        Files.delete(pool.resolve(id));
        assertEquals(Optional.empty(), node.attached(id));
        assertEquals(Set.of(), node.attachedBackends());
        node.detach(id);
        assertEquals(Optional.of(foreign), host.loopFind(impostor), "someone else's device is left alone");
        // Nor are metadata files, whoever attaches them.
        Path meta = pool.resolve(B + ".meta.json");
        Files.write(meta, new byte[1 << 20]);
        host.loopAttach(meta);
        assertEquals(Set.of(), node.attachedBackends());
    }

    /**
     * Two "hosts" on one kernel share the pool: each node's driver records its own devices in its
     * own state folder, so both attaching the same image get two devices, each detaches only its
     * own, a third host sees neither, and a restarted host (same state folder) finds its own again.
     */
    @Test
    void twoHostsOnOneKernelNeverShareOrTouchEachOthersDevice() throws IOException {
        LoopDriver a = new LoopDriver(tmp.resolve("pool"), 1.0, host, LoopSettings.DEFAULT.withStateDir(tmp.resolve("a")));
        LoopDriver b = new LoopDriver(tmp.resolve("pool"), 1.0, host, LoopSettings.DEFAULT.withStateDir(tmp.resolve("b")));
        String id = a.create(A, spec(GIB));
        Path devA = a.node().attach(id).path();
        Path devB = b.node().attach(id).path();
        assertNotEquals(devA, devB, "host b must not adopt host a's device");
        assertEquals(devA, a.node().attach(id).path(), "attach again reuses the own device");
        assertEquals(devB, b.node().attach(id).path());
        assertEquals(Set.of(id), a.node().attachedBackends());
        assertEquals(Set.of(id), b.node().attachedBackends());
        String record = Files.readString(tmp.resolve("a").resolve("loop-devices.json"));
        assertEquals(Map.of("devices", List.of(Map.of("device", devA.toString(),
                        "file", tmp.toRealPath().resolve("pool").resolve(id).toString()))),
                new com.fasterxml.jackson.databind.ObjectMapper().readValue(record, Map.class), record);

        LoopDriver c = new LoopDriver(tmp.resolve("pool"), 1.0, host, LoopSettings.DEFAULT.withStateDir(tmp.resolve("c")));
        assertEquals(Optional.empty(), c.node().attached(id));
        assertEquals(Set.of(), c.node().attachedBackends());
        c.node().detach(id);
        assertTrue(bound(devA) && bound(devB), "a third host's detach touches nobody's device");

        LoopDriver bRestarted = new LoopDriver(tmp.resolve("pool"), 1.0, new LinuxHostOps(),
                LoopSettings.DEFAULT.withStateDir(tmp.resolve("b")));
        assertEquals(Optional.of(new Device(devB, true)), bRestarted.node().attached(id));
        assertEquals(devB, bRestarted.node().attach(id).path(), "re-adopts its own device after a restart");

        a.node().detach(id);
        assertFalse(bound(devA));
        assertTrue(bound(devB), "host a's detach left host b's device alone");
        assertEquals(Set.of(), a.node().attachedBackends());
        assertEquals(Set.of(id), bRestarted.node().attachedBackends());
        Busy busy = assertThrows(Busy.class, () -> a.remove(id), "the image is still host b's");
        assertTrue(busy.getMessage().contains(devB.toString()), busy.getMessage());
        bRestarted.node().detach(id);
        assertFalse(bound(devB));
        a.remove(id);
        assertFalse(a.exists(id));
    }

    /** A record naming a device that is bound to another file now (freed, reused) is not trusted. */
    @Test
    void aRecordedDeviceBoundToAnotherFileIsNotTaken() throws IOException {
        String id = driver.create(A, spec(GIB));
        String other = driver.create(B, spec(GIB));
        Path otherDevice = host.loopAttachNew(tmp.resolve("pool").resolve(other));
        Files.createDirectories(tmp.resolve("state"));
        Files.writeString(tmp.resolve("state").resolve("loop-devices.json"), "{\"devices\":[{\"device\":\"" + otherDevice
                + "\",\"file\":\"" + tmp.toRealPath().resolve("pool").resolve(id) + "\"}]}");
        assertEquals(Optional.empty(), node.attached(id));
        Path mine = node.attach(id).path();
        assertNotEquals(otherDevice, mine);
        node.detach(id);
        assertTrue(bound(otherDevice), "the other file's device is left alone");
    }

    /**
     * A device nobody recorded is adopted only if it is mounted in this mount namespace (a restart
     * after an upgrade or a lost record); one mounted nowhere here may be another host's.
     */
    @Test
    void anUnrecordedDeviceIsAdoptedOnlyWhenMountedHere() throws IOException {
        String id = driver.create(A, spec(64L << 20));
        Path image = tmp.resolve("pool").resolve(id);
        Path stray = host.loopAttachNew(image);
        assertEquals(Optional.empty(), node.attached(id), "not recorded, not mounted here: not ours");
        Path fresh = node.attach(id).path();
        assertNotEquals(stray, fresh);
        node.detach(id);
        assertTrue(bound(stray), "left alone");

        host.makeFilesystem(stray, dev.berth.core.model.FsType.EXT4);
        Path mnt = Files.createDirectory(tmp.resolve("mnt"));
        host.mount(stray, mnt, "ext4", List.of());
        assertEquals(Set.of(id), node.attachedBackends());
        assertEquals(Optional.of(new Device(stray, true)), node.attached(id), "mounted here: this host's, adopted");
        host.unmount(mnt); // as a reconcile's clean-up does before it detaches
        assertEquals(Optional.of(new Device(stray, true)), node.attached(id), "recorded when it was found");
        assertEquals(stray, node.attach(id).path());
        node.detach(id);
        assertFalse(bound(stray));
    }

    private boolean bound(Path device) {
        return host.loopBacking(device).isPresent();
    }
}
