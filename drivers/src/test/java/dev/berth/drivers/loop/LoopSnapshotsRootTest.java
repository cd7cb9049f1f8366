package dev.berth.drivers.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.Progress;
import dev.berth.core.spi.StorageDriver.Source;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.MultiMountProtection;
import dev.berth.host.ProcessRunner;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Snapshots, clones and expansion of loop volumes on a real ext4 pool (full copies) and a real xfs
 * pool (reflinks): each pool is a filesystem on a loop file made by the test. Needs root.
 */
class LoopSnapshotsRootTest {
    private static final long MIB = 1L << 20;
    private static final String A = "0a0a0a0a-0000-4000-8000-00000000000a";
    private static final String B = "0b0b0b0b-0000-4000-8000-00000000000b";
    private static final String C = "0c0c0c0c-0000-4000-8000-00000000000c";
    private static final String S1 = "51515151-0000-4000-8000-000000000051";

    @TempDir
    Path tmp;
    private final LinuxHostOps host = new LinuxHostOps();

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() throws IOException {
        // Twice: the volumes' mounts and devices go first, and only then can their pools' filesystems be unmounted.
        HostCleanup.under(tmp, host);
        HostCleanup.under(tmp, host);
    }

    /** A loop driver whose pool is a folder on a fresh {@code type} filesystem. */
    private LoopDriver driverOn(FsType type) throws IOException {
        Path image = tmp.resolve("backing-" + type.id() + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(1024 * MIB);
        }
        Path dev = host.loopAttachNew(image);
        host.makeFilesystem(dev, type);
        Path mnt = Files.createDirectory(tmp.resolve("fs-" + type.id())).toRealPath();
        host.mount(dev, mnt, type.id(), List.of());
        return new LoopDriver(mnt.resolve("pool"), 1.0, host, LoopSettings.DEFAULT.withStateDir(tmp.resolve("state")));
    }

    private static VolumeSpec spec(String name, long size) {
        return new VolumeSpec(name, "default", size, FsType.EXT4, Map.of());
    }

    private static void write(Path file, long at, String text) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), at);
            ch.force(true);
        }
    }

    private static String read(Path file, long at, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            ch.read(b, at);
            return new String(b.array(), StandardCharsets.US_ASCII);
        }
    }

    @ParameterizedTest
    @EnumSource(FsType.class)
    void snapshotsAndClonesAreIndependentPointInTimeCopies(FsType poolFs) throws IOException {
        LoopDriver driver = driverOn(poolFs);
        String expected = poolFs == FsType.XFS ? "reflink" : "copy";
        assertEquals(java.util.Optional.of(expected), driver.copyMethod());
        assertEquals(poolFs == FsType.XFS ? "reflink (copy-on-write)" : "full copy (the pool's filesystem has no reflinks)",
                driver.describe(driver.create(A, spec("a", 256 * MIB))).get("copies"));
        Path a = tmp.resolve("fs-" + poolFs.id()).toRealPath().resolve("pool").resolve(A + ".img");
        write(a, 0, "before");
        write(a, 200 * MIB, "far");

        long[] last = new long[2];
        String snap = driver.snapshot(A + ".img", S1, (done, total) -> {
            last[0] = done;
            last[1] = total;
        });
        assertEquals("snapshots/" + S1 + ".img", snap);
        assertEquals(java.util.Optional.of(snap), driver.snapshotBackendIdOf(S1));
        assertTrue(driver.snapshotExists(snap));
        assertTrue(last[0] > 0 && last[0] == last[1], "a final progress update: " + last[0] + "/" + last[1]);
        write(a, 0, "after!");
        Path snapFile = a.resolveSibling("snapshots").resolve(S1 + ".img");
        assertEquals("before", read(snapFile, 0, 6), "data written before the snapshot is in it, after is not");
        assertEquals("far", read(snapFile, 200 * MIB, 3));
        assertEquals(256 * MIB, Files.size(snapFile));
        assertEquals(List.of(A + ".img"), driver.storedIds(), "snapshots are not volumes");
        Map<String, String> facts = driver.describeSnapshot(snap);
        assertTrue(facts.get("method").startsWith(expected), facts.toString());
        assertEquals(A, facts.get("sourceVolumeId"));
        if (poolFs == FsType.EXT4) {
            long allocated = host.allocatedBytes(List.of(snapFile));
            assertTrue(allocated < 4 * MIB, "a sparse copy takes only its data's space: " + allocated);
        }

        assertEquals(snap, driver.snapshot(A + ".img", S1, Progress.NONE), "idempotent per snapshot id");
        assertEquals("before", read(snapFile, 0, 6), "a retry does not copy again");
        driver.create(B, spec("b", 256 * MIB));
        assertThrows(AlreadyExists.class, () -> driver.snapshot(B + ".img", S1, Progress.NONE),
                "a snapshot id is never given another volume's copy");

        // A volume from the snapshot, bigger than it; its source's snapshot is not changed by it.
        String fromSnap = driver.createFrom(C, spec("c", 512 * MIB), new Source(true, snap, 256 * MIB), Progress.NONE);
        Path c = a.resolveSibling(C + ".img");
        assertEquals(C + ".img", fromSnap);
        assertEquals(512 * MIB, Files.size(c));
        assertEquals("before", read(c, 0, 6));
        assertEquals(fromSnap, driver.createFrom(C, spec("c", 512 * MIB), new Source(true, snap, 256 * MIB), Progress.NONE),
                "idempotent per volume id");
        write(c, 0, "clone!");
        assertEquals("before", read(snapFile, 0, 6), "writing the clone leaves the snapshot alone");
        assertEquals("after!", read(a, 0, 6), "and the source volume");

        driver.removeSnapshot(snap);
        assertFalse(driver.snapshotExists(snap));
        driver.removeSnapshot(snap); // gone already: not an error
        assertEquals("clone!", read(c, 0, 6), "a volume made from a snapshot outlives it");

        // A clone of a volume: independent both ways.
        String d = "0d0d0d0d-0000-4000-8000-00000000000d";
        driver.createFrom(d, spec("d", 256 * MIB), new Source(false, A + ".img", 256 * MIB), Progress.NONE);
        Path dFile = a.resolveSibling(d + ".img");
        assertEquals("after!", read(dFile, 0, 6));
        write(a, 0, "source");
        write(dFile, 200 * MIB, "CLN");
        assertEquals("after!", read(dFile, 0, 6));
        assertEquals("far", read(a, 200 * MIB, 3));

        InvalidArgument smaller = assertThrows(InvalidArgument.class, () -> driver.createFrom(
                "0e0e0e0e-0000-4000-8000-00000000000e", spec("e", 128 * MIB), new Source(false, A + ".img", 256 * MIB),
                Progress.NONE));
        assertTrue(smaller.getMessage().contains("at least its size"), smaller.getMessage());
        assertFalse(Files.exists(a.resolveSibling("0e0e0e0e-0000-4000-8000-00000000000e.img")), "nothing was made");
        assertThrows(NotFound.class, () -> driver.createFrom("0f0f0f0f-0000-4000-8000-00000000000f", spec("f", 256 * MIB),
                new Source(true, snap, 256 * MIB), Progress.NONE), "a removed snapshot cannot be copied");
        try (var left = Files.list(a.getParent())) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file is left");
        }
    }

    @ParameterizedTest
    @EnumSource(FsType.class)
    void expandGrowsTheFileAndTheAttachedDevice(FsType poolFs) throws IOException {
        LoopDriver driver = driverOn(poolFs);
        String id = driver.create(A, spec("a", 256 * MIB));
        Path device = driver.node().attach(id).path();
        assertThrows(InvalidArgument.class, () -> driver.expand(id, 128 * MIB), "never smaller");
        InvalidArgument unaligned = assertThrows(InvalidArgument.class, () -> driver.expand(id, 512 * MIB + 100));
        assertTrue(unaligned.getMessage().contains("4 KiB"), unaligned.getMessage());
        assertThrows(dev.berth.core.error.OutOfCapacity.class, () -> driver.expand(id, 64L << 30), "beyond the pool");
        driver.expand(id, 256 * MIB); // the same size: nothing to do
        driver.expand(id, 512 * MIB);
        assertEquals(512 * MIB, driver.stored(id).orElseThrow().sizeBytes());
        assertEquals(512 * MIB, driver.stored(id).orElseThrow().spec().orElseThrow().sizeBytes(), "metadata follows");
        assertEquals(256 * MIB, host.deviceSize(device), "the device follows only when refreshed");
        assertEquals(java.util.OptionalLong.of(512 * MIB), driver.node().refreshCapacity(id));
        assertEquals(512 * MIB, host.deviceSize(device));
        driver.node().detach(id);
        assertEquals(java.util.OptionalLong.empty(), driver.node().refreshCapacity(id), "not attached here");
    }

    /**
     * A snapshot of a mounted ext4 with multi-mount protection, frozen around the copy: the copy
     * checks clean and its MMP block is reset (its first mount does not wait for a holder).
     */
    @ParameterizedTest
    @EnumSource(FsType.class)
    void aFrozenSnapshotOfAMountedMmpVolumeChecksCleanAndHasAResetGuard(FsType poolFs) throws IOException {
        LoopDriver driver = driverOn(poolFs);
        String id = driver.create(A, spec("a", 256 * MIB));
        Path device = driver.node().attach(id).path();
        host.makeFilesystem(device, FsType.EXT4, new dev.berth.core.spi.HostOps.Format(true, 1));
        Path mnt = Files.createDirectory(tmp.resolve("vol")).toRealPath();
        host.mount(device, mnt, "ext4", List.of());
        Files.writeString(mnt.resolve("data"), "in the snapshot");
        String snap;
        host.freeze(mnt);
        try {
            snap = driver.snapshot(id, S1, Progress.NONE);
        } finally {
            host.thaw(mnt);
        }
        Path snapFile = tmp.resolve("fs-" + poolFs.id()).toRealPath().resolve("pool/snapshots/" + S1 + ".img");
        assertTrue(driver.snapshotExists(snap));
        assertFalse(MultiMountProtection.clearInCopy(snapFile, new ProcessRunner()), "already reset by the snapshot");
        new ProcessRunner().run(List.of("e2fsck", "-fn", snapFile.toString()), Duration.ofSeconds(60));
        String clone = driver.createFrom(B, spec("b", 256 * MIB), new Source(true, snap, 256 * MIB), Progress.NONE);
        Path cloneDev = driver.node().attach(clone).path();
        Path cloneMnt = Files.createDirectory(tmp.resolve("clone")).toRealPath();
        host.mount(cloneDev, cloneMnt, "ext4", List.of());
        assertEquals("in the snapshot", Files.readString(cloneMnt.resolve("data")));
    }

    /**
     * A reflink makes both files copy-on-write, and xfs then wants block-aligned direct I/O on them:
     * a loop device left to choose would come up with 4 KiB sectors and an xfs made with 512-byte
     * sectors would not mount any more. Both the source and the clone must still mount.
     */
    @org.junit.jupiter.api.Test
    void anXfsVolumeAndItsCloneStillMountAfterAReflink() throws IOException {
        LoopDriver driver = driverOn(FsType.XFS);
        VolumeSpec xfs = new VolumeSpec("x", "default", 320 * MIB, FsType.XFS, Map.of());
        String id = driver.create(A, xfs);
        Path device = driver.node().attach(id).path();
        host.makeFilesystem(device, FsType.XFS);
        Path mnt = Files.createDirectory(tmp.resolve("vol")).toRealPath();
        host.mount(device, mnt, "xfs", List.of());
        Files.writeString(mnt.resolve("data"), "kept");
        host.unmount(mnt);
        driver.node().detach(id);
        String snap = driver.snapshot(id, S1, Progress.NONE);
        assertEquals("reflink", driver.copyMethod().orElseThrow());

        Path again = driver.node().attach(id).path();
        host.mount(again, mnt, "xfs", List.of());
        assertEquals("kept", Files.readString(mnt.resolve("data")), "the source mounts after its reflink");
        String clone = driver.createFrom(B, new VolumeSpec("y", "default", 320 * MIB, FsType.XFS, Map.of()),
                new Source(true, snap, 320 * MIB), Progress.NONE);
        Path cloneMnt = Files.createDirectory(tmp.resolve("clone")).toRealPath();
        // xfs refuses a second mount of the same filesystem UUID; nouuid is how a clone is mounted beside its source.
        host.mount(driver.node().attach(clone).path(), cloneMnt, "xfs", List.of("nouuid"));
        assertEquals("kept", Files.readString(cloneMnt.resolve("data")), "the clone mounts too");
    }
}
