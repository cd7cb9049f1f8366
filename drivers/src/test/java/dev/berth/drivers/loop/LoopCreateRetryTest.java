package dev.berth.drivers.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.host.FileIds;
import dev.berth.host.LinuxHostOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller retries a create with the id it reserved (after a crash, or from a second
 * controller): the driver must find the object of that id and reuse it when it was made for the
 * same spec, and never make a second one. No root needed (no loop device is attached).
 */
class LoopCreateRetryTest {
    static final String ID = "5d1c0a7e9b2f4c3d8e6a1b0c9d8e7f60";
    static final long MIB = 1L << 20;

    @TempDir
    Path tmp;

    static VolumeSpec spec(String name, FsType fs) {
        return new VolumeSpec(name, "local", 64 * MIB, fs, Map.of());
    }

    @Test
    void aRetryForAnotherVolumeOrFilesystemIsRefusedNotReused() {
        LoopDriver d = new LoopDriver(tmp.resolve("pool"), new LinuxHostOps());
        d.create(ID, spec("data", FsType.EXT4));
        AlreadyExists other = assertThrows(AlreadyExists.class, () -> d.create(ID, spec("other", FsType.EXT4)));
        assertTrue(other.getMessage().contains("local/data"), other.getMessage());
        assertThrows(AlreadyExists.class, () -> d.create(ID, spec("data", FsType.XFS)));
        assertEquals(ID + ".img", d.create(ID, spec("data", FsType.EXT4)), "the same spec reuses it");
        assertEquals(List.of(ID + ".img"), d.storedIds());
    }

    @Test
    void aRetryWritesTheMetadataOfAnImageThatLostIt() throws Exception {
        Path pool = tmp.resolve("pool");
        LoopDriver d = new LoopDriver(pool, new LinuxHostOps());
        d.create(ID, spec("data", FsType.EXT4));
        Files.delete(pool.resolve(ID + ImageMetadata.SUFFIX));
        d.create(ID, spec("data", FsType.EXT4));
        assertEquals("data", d.stored(ID + ".img").orElseThrow().spec().orElseThrow().name());
    }

    @Test
    void temporaryFilesACrashedCreateLeftAreRemovedByTheRetryAndByRemove() throws Exception {
        Path pool = tmp.resolve("pool");
        LoopDriver d = new LoopDriver(pool, new LinuxHostOps());
        d.create(ID, spec("data", FsType.EXT4));
        Path old = Files.createFile(pool.resolve("." + ID + ".img.123.tmp"));
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(LoopDriver.LEFTOVER_AGE).minusSeconds(5)));
        Path fresh = Files.createFile(pool.resolve("." + ID + ".meta.json.456.tmp"));
        Path otherVolume = Files.createFile(pool.resolve(".aaaa.img.1.tmp"));
        Files.setLastModifiedTime(otherVolume, FileTime.from(Instant.EPOCH));
        d.create(ID, spec("data", FsType.EXT4));
        assertFalse(Files.exists(old), "a crashed create's temporary image is gone");
        assertTrue(Files.exists(fresh), "a temporary file that may be a live create's is left alone");
        d.remove(ID + ".img");
        assertFalse(Files.exists(fresh), "remove takes every file of the id");
        assertTrue(Files.exists(otherVolume), "another volume's files are never touched");
    }

    /** Two controllers on one pool (two driver instances, whose JVM locks do not see each other). */
    @Test
    void concurrentCreatesOfOneIdOnTwoDriversMakeOneImageWhoseMetadataNamesIt() throws Exception {
        Path pool = tmp.resolve("pool");
        LoopDriver[] drivers = {new LoopDriver(pool, new LinuxHostOps()), new LoopDriver(pool, new LinuxHostOps())};
        ExecutorService threads = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            LoopDriver d = drivers[i % 2];
            results.add(threads.submit(() -> {
                go.await();
                return d.create(ID, spec("data", FsType.EXT4));
            }));
        }
        go.countDown();
        for (Future<String> f : results) {
            assertEquals(ID + ".img", f.get());
        }
        threads.shutdown();
        try (var files = Files.list(pool)) {
            assertEquals(List.of(ID + ".img", ID + ImageMetadata.SUFFIX),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "one image, no temporary file left");
        }
        ImageMetadata m = ImageMetadata.read(pool.resolve(ID + ImageMetadata.SUFFIX)).orElseThrow();
        assertEquals(FileIds.of(pool.resolve(ID + ".img")), m.imageId(), "the metadata names the image that won");
    }
}
