package dev.berth.drivers.dir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Device;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dir driver runs no tools and needs no root. */
class DirDriverTest {
    static final String ID = "3f2a9c1e-77b0-4d6e-9a51-0c2f4e8d9b10";
    static final VolumeSpec SPEC = new VolumeSpec("data", "default", 1L << 30, FsType.EXT4, Map.of());

    @TempDir
    Path tmp;
    Path root;
    DirDriver driver;

    @BeforeEach
    void setUp() {
        root = tmp.resolve("state/dirs");
        driver = new DirDriver(root, new LinuxHostOps());
    }

    @Test
    void createMakesAFolderNamedByTheVolumeId() {
        assertEquals(ID, driver.create(ID, SPEC));
        assertTrue(Files.isDirectory(root.resolve(ID)));
        assertTrue(driver.exists(ID));
        assertEquals(ID, driver.create(ID, SPEC));
        assertFalse(driver.blockDevices());
        assertEquals("dir", driver.kind());
    }

    @Test
    void createKeepsWhatIsInAnExistingFolder() throws IOException {
        driver.create(ID, SPEC);
        Files.writeString(root.resolve(ID).resolve("f"), "kept");
        driver.create(ID, SPEC);
        assertEquals("kept", Files.readString(root.resolve(ID).resolve("f")));
    }

    @Test
    void aFileInTheWayIsAConflict() throws IOException {
        Files.createDirectories(root);
        Files.writeString(root.resolve(ID), "not a folder");
        assertThrows(AlreadyExists.class, () -> driver.create(ID, SPEC));
    }

    @Test
    void describeSaysSizeIsNotEnforced() {
        driver.create(ID, SPEC);
        assertEquals(Map.of("path", root.resolve(ID).toString(),
                "size", "not enforced (the dir driver keeps data in a plain folder)",
                "copies", "full copy (a folder copy)"), driver.describe(ID));
    }

    @Test
    void nodeSideHasNothingToDo() {
        assertEquals(Set.of(), driver.node().attachedBackends());
        assertThrows(NotFound.class, () -> driver.node().attach(ID));
        assertEquals(Optional.empty(), driver.node().attached(ID));
        driver.create(ID, SPEC);
        Device d = driver.node().attach(ID);
        assertEquals(new Device(root.resolve(ID), false), d);
        assertEquals(Optional.of(d), driver.node().attached(ID));
        driver.node().detach(ID);
        assertTrue(Files.isDirectory(root.resolve(ID)));
        assertEquals(Set.of(ID), driver.node().attachedBackends());
    }

    @Test
    void removeDeletesEverythingButNeverFollowsLinks() throws IOException {
        Path outside = Files.writeString(tmp.resolve("outside.txt"), "not the volume's");
        Path outsideDir = Files.createDirectory(tmp.resolve("outside-dir"));
        Files.writeString(outsideDir.resolve("x"), "not the volume's either");
        driver.create(ID, SPEC);
        Path v = root.resolve(ID);
        Files.createDirectories(v.resolve("data/a/b"));
        Files.writeString(v.resolve("data/a/b/f"), "x");
        Files.createSymbolicLink(v.resolve("data/link"), outside);
        Files.createSymbolicLink(v.resolve("data/dirlink"), outsideDir);
        driver.remove(ID);
        assertFalse(Files.exists(v));
        assertFalse(driver.exists(ID));
        assertEquals("not the volume's", Files.readString(outside));
        assertTrue(Files.exists(outsideDir.resolve("x")));
        driver.remove(ID);
    }

    @Test
    void idsAreChecked() {
        for (String bad : new String[] {"..", "../etc", "ABC", "-rf", "a/b", "", "a.b"}) {
            assertThrows(InvalidArgument.class, () -> driver.create(bad, SPEC), bad);
            assertThrows(InvalidArgument.class, () -> driver.remove(bad), bad);
            assertThrows(InvalidArgument.class, () -> driver.node().attach(bad), bad);
        }
    }

    @Test
    void capacityIsTheRootFilesystems() {
        assertTrue(driver.capacity().total() > 0);
    }
}
