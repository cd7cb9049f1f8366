package dev.berth.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folders Berth creates are made and checked one by one, and a symlink anywhere from the root down is refused. */
class RealDirsTest {
    @TempDir
    Path dir;

    @Test
    void createsTheRootAndEveryFolderBelowIt() throws IOException {
        Path root = dir.resolve("a/b/root");
        Path made = RealDirs.ensure(root, root.resolve("vol/data"));
        assertEquals(root.resolve("vol/data"), made);
        assertTrue(Files.isDirectory(made, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root)), "a new root is 0700");
        RealDirs.ensure(root, root.resolve("vol/data")); // idempotent
        RealDirs.ensure(root, root);
    }

    @Test
    void aSymlinkAtTheLastFolderIsRefusedAndItsTargetUntouched() throws IOException {
        Path root = Files.createDirectories(dir.resolve("volumes"));
        Path victim = Files.createDirectories(dir.resolve("victim"));
        Path link = Files.createSymbolicLink(root.resolve("db"), victim);
        BackendFailure e = assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, link));
        assertEquals(link + " is a symlink (to " + victim + "); Berth never follows a symlink in a folder it owns", e.getMessage());
        assertEquals("remove the symlink (rm " + link + "); if the data should live elsewhere, configure that path itself", e.hint());
        assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, link.resolve("data")), "not through it either");
        assertFalse(Files.exists(victim.resolve("data")), "nothing was created in the link's target");
    }

    @Test
    void aSymlinkAsTheRootIsRefused() throws IOException {
        Path victim = Files.createDirectories(dir.resolve("victim"));
        Path root = Files.createSymbolicLink(dir.resolve("volumes"), victim);
        BackendFailure e = assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, root.resolve("db")));
        assertTrue(e.getMessage().startsWith(root + " is a symlink (to " + victim + ")"), e.getMessage());
        assertFalse(Files.exists(victim.resolve("db")));
    }

    @Test
    void aDanglingSymlinkIsRefusedNotCreatedThrough() throws IOException {
        Path root = Files.createDirectories(dir.resolve("volumes"));
        Path link = Files.createSymbolicLink(root.resolve("db"), dir.resolve("later"));
        assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, link));
        assertFalse(Files.exists(dir.resolve("later")), "mkdir did not follow the dangling link");
    }

    @Test
    void aFileInTheWayIsRefused() throws IOException {
        Path root = Files.createDirectories(dir.resolve("volumes"));
        Files.writeString(root.resolve("db"), "x");
        BackendFailure e = assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, root.resolve("db/data")));
        assertEquals(root.resolve("db") + " exists but is not a folder", e.getMessage());
    }

    @Test
    void symlinksAboveTheRootAreTheOperatorsAndFollowed() throws IOException {
        Path real = Files.createDirectories(dir.resolve("disk"));
        Path link = Files.createSymbolicLink(dir.resolve("berth"), real);
        RealDirs.ensure(link.resolve("volumes"), link.resolve("volumes/db"));
        assertTrue(Files.isDirectory(real.resolve("volumes/db"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void isRealDirSaysMissingRealOrRefuses() throws IOException {
        assertFalse(RealDirs.isRealDir(dir.resolve("none")));
        assertTrue(RealDirs.isRealDir(dir));
        Path link = Files.createSymbolicLink(dir.resolve("l"), dir);
        assertThrows(BackendFailure.class, () -> RealDirs.isRealDir(link));
    }

    @Test
    void aFolderWalkedThroughThatBelongsToAnotherUserIsRefused() throws IOException {
        requireRoot();
        Path root = Files.createDirectories(dir.resolve("volumes"));
        Files.setAttribute(root, "unix:uid", 4321);
        BackendFailure e = assertThrows(BackendFailure.class, () -> RealDirs.ensure(root, root.resolve("db")));
        assertTrue(e.getMessage().startsWith(root + " belongs to user 4321"), e.getMessage());
        // The last folder may be anyone's: a container chowns the data folder it is given.
        Path mp = Files.createDirectories(dir.resolve("mp/data"));
        Files.setAttribute(mp, "unix:uid", 999);
        RealDirs.ensure(mp.getParent(), mp);
    }

    private static void requireRoot() throws IOException {
        boolean root = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        if (Boolean.getBoolean("berth.requireRoot")) {
            assertTrue(root, "needs root (chown)");
        }
        Assumptions.assumeTrue(root, "needs root (chown)");
    }
}
