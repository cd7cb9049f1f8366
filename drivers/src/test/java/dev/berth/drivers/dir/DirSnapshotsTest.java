package dev.berth.drivers.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.NotFound;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.Progress;
import dev.berth.core.spi.StorageDriver.Source;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots and clones of dir volumes are folder copies; no root needed. */
class DirSnapshotsTest {
    private static final String A = "0a0a0a0a-0000-4000-8000-00000000000a";
    private static final String B = "0b0b0b0b-0000-4000-8000-00000000000b";
    private static final String S = "51515151-0000-4000-8000-000000000051";
    private static final VolumeSpec SPEC = new VolumeSpec("data", "default", 1L << 30, FsType.EXT4, Map.of());

    @TempDir
    Path tmp;
    private Path root;
    private DirDriver driver;

    @BeforeEach
    void setUp() {
        root = tmp.resolve("dirs");
        driver = new DirDriver(root, new LinuxHostOps());
    }

    @Test
    void aSnapshotIsAPointInTimeCopyKeepingModesAndSymlinks() throws IOException {
        driver.create(A, SPEC);
        Path a = root.resolve(A);
        Files.createDirectories(a.resolve("sub/deeper"));
        Files.writeString(a.resolve("sub/deeper/file"), "before");
        Files.setPosixFilePermissions(a.resolve("sub/deeper/file"), PosixFilePermissions.fromString("rwx--x---"));
        Files.createSymbolicLink(a.resolve("link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(a.resolve("dangling"), Path.of("nowhere"));
        assertEquals(Optional.of("copy"), driver.copyMethod());

        assertEquals(S, driver.snapshot(A, S, Progress.NONE));
        assertEquals(Optional.of(S), driver.snapshotBackendIdOf(S));
        Files.writeString(a.resolve("sub/deeper/file"), "after");
        Path s = root.resolve(".snapshots").resolve(S);
        assertEquals("before", Files.readString(s.resolve("sub/deeper/file")));
        assertEquals(PosixFilePermissions.fromString("rwx--x---"), Files.getPosixFilePermissions(s.resolve("sub/deeper/file")));
        assertTrue(Files.isSymbolicLink(s.resolve("link")), "a symlink stays a symlink");
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(s.resolve("link")));
        assertEquals(Path.of("nowhere"), Files.readSymbolicLink(s.resolve("dangling")));
        assertTrue(driver.snapshotExists(S));
        assertEquals(Set.of(A), driver.node().attachedBackends(), "snapshots are not volumes");
        assertEquals(S, driver.snapshot(A, S, Progress.NONE), "idempotent");
        assertEquals("before", Files.readString(s.resolve("sub/deeper/file")), "a retry does not copy again");

        assertEquals(B, driver.createFrom(B, SPEC, new Source(true, S, 0), Progress.NONE));
        Path b = root.resolve(B);
        assertEquals("before", Files.readString(b.resolve("sub/deeper/file")));
        Files.writeString(b.resolve("sub/deeper/file"), "clone");
        assertEquals("before", Files.readString(s.resolve("sub/deeper/file")), "the clone is independent");
        assertEquals(B, driver.createFrom(B, SPEC, new Source(true, S, 0), Progress.NONE), "idempotent");
        assertEquals("clone", Files.readString(b.resolve("sub/deeper/file")), "a retry keeps the volume as it is");

        driver.removeSnapshot(S);
        assertFalse(driver.snapshotExists(S));
        assertTrue(Files.exists(a.resolve("link"), LinkOption.NOFOLLOW_LINKS) && Files.exists(Path.of("/etc/passwd")),
                "removing a snapshot never follows its links");
        assertThrows(NotFound.class, () -> driver.createFrom("0c0c0c0c-0000-4000-8000-00000000000c", SPEC,
                new Source(true, S, 0), Progress.NONE));
        try (var left = Files.list(root)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary folder is left");
        }
    }

    @Test
    void aCloneOfAVolumeAndExpandThatEnforcesNothing() throws IOException {
        driver.create(A, SPEC);
        Files.writeString(root.resolve(A).resolve("f"), "x");
        driver.createFrom(B, SPEC, new Source(false, A, 0), Progress.NONE);
        assertEquals("x", Files.readString(root.resolve(B).resolve("f")));
        assertFalse(driver.sizeEnforced());
        driver.expand(A, 2L << 30);
        assertThrows(NotFound.class, () -> driver.expand("0c0c0c0c-0000-4000-8000-00000000000c", 2L << 30));
    }
}
