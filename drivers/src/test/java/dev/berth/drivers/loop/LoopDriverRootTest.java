package dev.berth.drivers.loop;

import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import static dev.berth.drivers.loop.LoopDriverTest.GIB;
import static dev.berth.drivers.loop.LoopDriverTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        driver = new LoopDriver(tmp.resolve("pool"), host);
        node = driver.node();
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
        assertEquals(Optional.of(d), new LoopDriver(tmp.resolve("pool"), new LinuxHostOps()).node().attached(id));
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
        LoopDriver restarted = new LoopDriver(tmp.resolve("pool"), new LinuxHostOps());
        assertEquals(Optional.of(new Device(device, true)), restarted.node().attached(id));
        // Without the metadata file too, the kernel's name for it decides.
        Files.delete(tmp.resolve("pool").resolve(A + ".meta.json"));
        LoopDriver bare = new LoopDriver(tmp.resolve("pool"), new LinuxHostOps());
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
}
