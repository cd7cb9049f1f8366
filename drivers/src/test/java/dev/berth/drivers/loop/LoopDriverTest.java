package dev.berth.drivers.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.model.Capacity;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.StorageDriver;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Controller side of the loop driver: files in the pool. No loop device is attached here. */
class LoopDriverTest {
    static final long GIB = 1L << 30;
    static final String ID = "3f2a9c1e-77b0-4d6e-9a51-0c2f4e8d9b10";

    @TempDir
    Path tmp;
    Path pool;
    LoopDriver driver;

    @BeforeEach
    void setUp() {
        pool = tmp.resolve("state/pool");
        driver = new LoopDriver(pool, new LinuxHostOps());
    }

    static VolumeSpec spec(long size) {
        return new VolumeSpec("data", "default", size, FsType.EXT4, Map.of());
    }

    @Test
    void createMakesASparseFileOfTheRequestedSize() throws IOException {
        assertEquals(ID + ".img", driver.create(ID, spec(10 * GIB)));
        Path file = pool.resolve(ID + ".img");
        assertEquals(10 * GIB, Files.size(file));
        long blocks = Long.parseLong(new ProcessRunner()
                .run(List.of("/usr/bin/stat", "-c", "%b", file.toString()), Duration.ofSeconds(10)).stdout().strip());
        assertTrue(blocks < 64, "allocated " + blocks + " blocks: not sparse");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(pool));
        try (var names = Files.list(pool)) {
            // The image and its metadata file; no temporary file left behind.
            assertEquals(List.of(file, pool.resolve(ID + ".meta.json")), names.sorted().toList());
        }
        assertTrue(driver.exists(ID + ".img"));
        assertTrue(driver.blockDevices());
        assertEquals("loop", driver.kind());
    }

    @Test
    void createIsIdempotent() throws IOException {
        String first = driver.create(ID, spec(GIB));
        Files.writeString(pool.resolve(first), "data that must survive", StandardOpenOption.WRITE); // no truncation
        assertEquals(first, driver.create(ID, spec(GIB)));
        try (var in = Files.newInputStream(pool.resolve(first))) {
            assertEquals("data that must survive", new String(in.readNBytes(22), StandardCharsets.UTF_8));
        }
    }

    @Test
    void createWithAnotherSizeIsAConflict() {
        driver.create(ID, spec(GIB));
        AlreadyExists e = assertThrows(AlreadyExists.class, () -> driver.create(ID, spec(2 * GIB)));
        assertTrue(e.getMessage().contains("already exists with 1G, not 2G"), e.getMessage());
    }

    @Test
    void createRefusesWhatDoesNotFitThePoolFilesystem() {
        long free = Files.exists(tmp) ? driver.capacity().available() : 0;
        OutOfCapacity e = assertThrows(OutOfCapacity.class, () -> driver.create(ID, spec(free + 1024 * GIB)));
        assertTrue(e.getMessage().contains("does not fit in the loop pool " + pool), e.getMessage());
        assertTrue(e.getMessage().contains(" free"), e.getMessage());
        assertTrue(e.hint().contains("pool option"), e.hint());
        assertFalse(Files.exists(pool.resolve(ID + ".img")));
    }

    @Test
    void aSymlinkInThePoolIsNotAVolume() throws IOException {
        Files.createDirectories(pool);
        Files.createSymbolicLink(pool.resolve(ID + ".img"), Path.of("/etc/passwd"));
        assertFalse(driver.exists(ID + ".img"));
        assertThrows(AlreadyExists.class, () -> driver.create(ID, spec(GIB)));
        driver.remove(ID + ".img");
        assertFalse(Files.exists(pool.resolve(ID + ".img"), LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.exists(Path.of("/etc/passwd")));
    }

    @Test
    void createWritesTheVolumesMetadataNextToTheImage() throws IOException {
        VolumeSpec spec = new VolumeSpec("pg-data", "fast", 3 * GIB, FsType.XFS, Map.of("app", "pg", "tier", "gold \"1\""));
        String id = driver.create(ID, spec);
        Path meta = pool.resolve(ID + ".meta.json");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(meta));
        String text = Files.readString(meta);
        assertTrue(text.contains("\"name\" : \"pg-data\""), text);
        ImageMetadata m = ImageMetadata.read(meta).orElseThrow();
        assertEquals(ID, m.volumeId());
        assertEquals(spec, m.spec());
        assertTrue(m.createdAt().isPresent());
        assertEquals(dev.berth.host.FileIds.of(pool.resolve(id)), m.imageId(), "the image's device and inode");

        List<StorageDriver.Stored> stored = stored();
        assertEquals(1, stored.size());
        assertEquals(new StorageDriver.Stored(id, ID, 3 * GIB, Optional.of(spec), m.createdAt(), ""), stored.get(0));
    }

    @Test
    void storedListsOnlyImagesAndSaysWhyANameIsUnknown() throws IOException {
        String a = driver.create(ID, spec(GIB));
        String noMeta = "0b0b0b0b000040008000000000000b0b";
        String badMeta = "0c0c0c0c000040008000000000000c0c";
        String otherId = "0d0d0d0d000040008000000000000d0d";
        Files.write(pool.resolve(noMeta + ".img"), new byte[4096]);
        Files.write(pool.resolve(badMeta + ".img"), new byte[4096]);
        Files.writeString(pool.resolve(badMeta + ".meta.json"), "{\"version\":1,\"name\":\"a\",\"name\":\"b\"}");
        Files.write(pool.resolve(otherId + ".img"), new byte[4096]);
        Files.copy(pool.resolve(ID + ".meta.json"), pool.resolve(otherId + ".meta.json"));
        // Not volumes: metadata without image, a temporary file, a folder and a symlink named like images.
        Files.writeString(pool.resolve("0e0e0e0e000040008000000000000e0e.meta.json"), "{}");
        Files.write(pool.resolve("." + ID + ".img.123.tmp"), new byte[1]);
        Files.createDirectory(pool.resolve("0f0f0f0f000040008000000000000f0f.img"));
        Files.createSymbolicLink(pool.resolve("0a0a0a0a000040008000000000000a0a.img"), Path.of("/etc/passwd"));

        List<StorageDriver.Stored> stored = stored();
        assertEquals(List.of(noMeta + ".img", badMeta + ".img", otherId + ".img", a),
                stored.stream().map(StorageDriver.Stored::backendId).toList());
        assertEquals("no metadata file " + noMeta + ".meta.json", stored.get(0).note());
        assertTrue(stored.get(1).note().startsWith("its metadata file " + badMeta + ".meta.json cannot be used: "
                + "it is not valid metadata: Duplicate field 'name'"), stored.get(1).note());
        assertEquals("its metadata file names volume id " + ID + ", not " + otherId, stored.get(2).note());
        assertTrue(stored.subList(0, 3).stream().allMatch(x -> x.spec().isEmpty() && x.sizeBytes() == 4096));
        assertTrue(stored.get(3).spec().isPresent());
    }

    @Test
    void aHugeMetadataFileIsNotReadIntoMemory() throws IOException {
        driver.create(ID, spec(GIB));
        Path meta = pool.resolve(ID + ".meta.json");
        try (var out = Files.newOutputStream(meta)) {
            out.write("{\"version\":1,\"labels\":{\"x\":\"".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[ImageMetadata.MAX_BYTES]);
        }
        assertTrue(stored().get(0).note().endsWith("it is larger than " + ImageMetadata.MAX_BYTES + " bytes"),
                stored().get(0).note());
    }

    @Test
    void removeDeletesTheMetadataToo() {
        String id = driver.create(ID, spec(GIB));
        driver.remove(id);
        assertFalse(Files.exists(pool.resolve(ID + ".meta.json")));
        // An image deleted from outside: remove still takes its metadata.
        String again = driver.create(ID, spec(GIB));
        assertTrue(pool.resolve(again).toFile().delete());
        driver.remove(again);
        assertFalse(Files.exists(pool.resolve(ID + ".meta.json")));
        assertEquals(List.of(), driver.storedIds());
    }

    private List<StorageDriver.Stored> stored() {
        return driver.storedIds().stream().map(id -> driver.stored(id).orElseThrow()).toList();
    }

    @Test
    void removeDeletesAndAMissingVolumeIsFine() {
        String id = driver.create(ID, spec(GIB));
        driver.remove(id);
        assertFalse(driver.exists(id));
        driver.remove(id);
        driver.remove("0000.img");
    }

    @Test
    void capacityIsThePoolFilesystems() throws IOException {
        Capacity c = driver.capacity(); // the pool does not exist yet: its nearest parent answers
        assertTrue(c.total() > 0 && c.available() > 0 && c.available() <= c.total(), c.toString());
        assertEquals(Files.getFileStore(tmp).getTotalSpace(), c.total());
    }

    /** inspect says what keeps a second host out, from the image itself once it has a filesystem. */
    @Test
    void describeShowsTheGuard() {
        String blank = driver.create(ID, spec(GIB));
        assertEquals("ext4 multi-mount protection (made at its first mount)", driver.describe(blank).get("guard"));
        ProcessRunner run = new ProcessRunner();
        Duration t = Duration.ofSeconds(60);
        run.run(List.of("mkfs.ext4", "-q", "-F", "-O", "mmp", pool.resolve(blank).toString()), t);
        assertEquals("ext4 multi-mount protection", driver.describe(blank).get("guard"));

        LoopDriver shared = new LoopDriver(pool, 1.0, new LinuxHostOps(),
                new LoopSettings(null, new dev.berth.core.spi.HostOps.Format(false, 5), true));
        String plain = shared.create("4f2a9c1e-77b0-4d6e-9a51-0c2f4e8d9b10", spec(GIB));
        assertEquals("none (mmp is off for this service; the pool is shared: nothing stops a second host from mounting"
                + " it)", shared.describe(plain).get("guard"));
        run.run(List.of("mkfs.ext4", "-q", "-F", pool.resolve(plain).toString()), t);
        assertTrue(shared.describe(plain).get("guard").startsWith("none (this ext4 was made without multi-mount"
                + " protection; the pool is shared"), shared.describe(plain).get("guard"));

        String xfs = driver.create("5f2a9c1e-77b0-4d6e-9a51-0c2f4e8d9b10",
                new VolumeSpec("x", "default", GIB, FsType.XFS, Map.of()));
        assertEquals("none (xfs has no multi-mount protection: fine while only one host uses this pool)",
                driver.describe(xfs).get("guard"));
    }

    @Test
    void describeShowsTheFile() {
        String id = driver.create(ID, spec(GIB));
        Map<String, String> facts = driver.describe(id);
        assertEquals(pool.resolve(id).toString(), facts.get("file"));
        assertEquals("1G", facts.get("size"));
        assertTrue(facts.get("allocation").startsWith("sparse"));
        assertTrue(facts.get("poolFree").matches("[0-9.]+ [KMGTPE]?i?B free of [0-9.]+ [KMGTPE]?i?B on the pool's filesystem"),
                facts.get("poolFree"));
        assertEquals("the backing file does not exist", driver.describe("00ff.img").get("missing"));
    }

    /** What the capacity check adds to the free space: blocks the images hold, never their apparent sizes. */
    @Test
    void allocatedBytesCountsBlocksNotSizes() throws IOException {
        String a = driver.create(ID, spec(GIB));
        String b = driver.create("0a1b2c3d", spec(GIB));
        assertTrue(driver.allocatedBytes(List.of(a, b)) < (1 << 20), "two sparse 1G files occupy nearly nothing");
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, (byte) 7);
        try (var out = Files.newOutputStream(pool.resolve(a), StandardOpenOption.WRITE)) {
            for (int i = 0; i < 8; i++) {
                out.write(chunk);
            }
        }
        new ProcessRunner().run(List.of("/usr/bin/sync", pool.resolve(a).toString()), Duration.ofSeconds(30));
        long allocated = driver.allocatedBytes(List.of(a, b, "00ff.img"));
        assertTrue(allocated >= 8L << 20 && allocated < 10L << 20, "8 MiB written: " + allocated);
        assertEquals(0, driver.allocatedBytes(List.of()));
        assertEquals(0, driver.allocatedBytes(List.of("00ff.img")), "a missing image occupies nothing");
        assertEquals(1.0, driver.overcommit().getAsDouble());
        assertThrows(InvalidArgument.class, () -> driver.allocatedBytes(List.of("../x.img")));
    }

    @Test
    void backendIdsAndVolumeIdsAreChecked() {
        for (String bad : new String[] {"../x", "ABC", "-rf", "a/b", "a.b", ""}) {
            assertThrows(InvalidArgument.class, () -> driver.create(bad, spec(GIB)), bad);
        }
        for (String bad : new String[] {ID, "../" + ID + ".img", ID + ".img.tmp", "/etc/passwd", "x.img"}) {
            assertThrows(InvalidArgument.class, () -> driver.remove(bad), bad);
            assertThrows(InvalidArgument.class, () -> driver.node().attach(bad), bad);
        }
    }
}
