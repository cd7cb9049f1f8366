package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.core.service.VolumeRef;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A symlink planted where Berth creates a folder — a volume's mount point, the mount root, a data
 * folder — is refused with a message naming it, and nothing is mounted on (or handed out at) its
 * target. Before: the volume was mounted on the symlink's target. Real loop devices and mounts.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ParameterizedClass(name = "host.syscalls = {0}")
@ValueSource(strings = {"native", "tools"})
class SymlinkMountIT {
    @TempDir
    Path dir;
    LocalBerth berth;
    Cli cli;
    Path victim;
    @Parameter
    String syscalls;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "link-node", Map.of("host.syscalls", syscalls));
        cli = berth.cli;
        victim = Files.createDirectories(dir.resolve("victim"));
        Files.writeString(victim.resolve("precious.txt"), "not Berth's");
    }

    @AfterEach
    void stop() {
        try {
            if (berth != null) {
                berth.close();
            }
        } finally {
            List<String> leaked = Sys.mountsUnder(dir);
            Sys.cleanUp(dir);
            assertEquals(List.of(), leaked, "mounts leaked");
        }
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    private void create(String name, String... extra) {
        Cli.Result r = cli.run(Stream.concat(Stream.of("volume", "create", name, "--size", "64M"), Stream.of(extra))
                .toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
    }

    private void victimUntouched() throws Exception {
        assertEquals(List.of(), Sys.mountsUnder(victim), "nothing mounted on the symlink's target");
        try (Stream<Path> l = Files.list(victim)) {
            assertEquals(List.of(victim.resolve("precious.txt")), l.toList(), "nothing created in the target");
        }
    }

    @Test
    void aSymlinkAtTheMountPointIsRefused() throws Exception {
        create("db");
        Path mountPoint = Files.createDirectories(dir.resolve("volumes")).resolve("db");
        Files.createSymbolicLink(mountPoint, victim);

        Cli.Result r = cli.run("volume", "mount", "db");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("error: " + mountPoint + " is a symlink (to " + victim + "); Berth never follows a symlink"),
                r.err());
        assertTrue(r.err().contains("hint: remove the symlink (rm " + mountPoint + ")"), r.err());
        victimUntouched();
        assertEquals(List.of(), Sys.mountsUnder(dir), "nothing mounted anywhere");
        assertEquals(List.of(), Sys.loopsUnder(dir), "the device attached for the mount was detached again");
        assertEquals("available", berth.daemon.volumes().inspect(VolumeRef.of("db")).status());
        assertTrue(Files.isSymbolicLink(mountPoint), "the link is the operator's to remove");

        Files.delete(mountPoint);
        Cli.Result ok = cli.run("volume", "mount", "db");
        assertEquals(0, ok.code(), ok.toString());
        assertEquals(mountPoint.resolve("data").toString(), ok.out().strip());
        assertEquals(0, cli.run("volume", "unmount", "db").code());
    }

    @Test
    void aSymlinkAsTheMountRootIsRefused() throws Exception {
        create("db");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createSymbolicLink(dir.resolve("volumes"), elsewhere);
        Cli.Result r = cli.run("volume", "mount", "db");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("error: " + dir.resolve("volumes") + " is a symlink (to " + elsewhere + ")"), r.err());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        try (Stream<Path> l = Files.list(elsewhere)) {
            assertEquals(0, l.count(), "no mount point made through the link");
        }
    }

    @Test
    void aDataFolderThatIsASymlinkInsideTheFilesystemIsRefusedAndTheMountUndone() throws Exception {
        create("db");
        Cli.Result first = cli.run("volume", "mount", "db");
        assertEquals(0, first.code(), first.toString());
        Path data = Path.of(first.out().strip());
        // Whoever had the device (or the host) leaves "data" as a link to a host folder.
        Files.delete(data);
        Files.createSymbolicLink(data, victim);
        assertEquals(0, cli.run("volume", "unmount", "db").code());

        Cli.Result again = cli.run("volume", "mount", "db");
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("error: " + data + " is a symlink (to " + victim + ")"), again.err());
        assertEquals(List.of(), Sys.mountsUnder(dir), "the filesystem mounted for it was unmounted again");
        assertEquals(List.of(), Sys.loopsUnder(dir));
        victimUntouched();
    }

    @Test
    void aDirVolumeWithASymlinkedDataFolderIsNotHandedOut() throws Exception {
        create("scratchy", "--service", "scratch");
        Path folder = dir.resolve("dirs").resolve(berth.daemon.volumes().inspect(new VolumeRef("scratchy", "scratch")).id());
        assertTrue(Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS));
        Files.createSymbolicLink(folder.resolve("data"), victim);
        Cli.Result r = cli.run("volume", "mount", "scratchy", "--service", "scratch");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("error: " + folder.resolve("data") + " is a symlink (to " + victim + ")"), r.err());
        victimUntouched();
    }

    @Test
    void detachNeverDeletesThroughASymlinkAtTheMountPoint() throws Exception {
        create("db");
        assertEquals(0, cli.run("volume", "attach", "db").code());
        Path mountPoint = Files.createDirectories(dir.resolve("volumes")).resolve("db");
        Path emptyData = Files.createDirectories(victim.resolve("data"));
        Files.createSymbolicLink(mountPoint, victim);
        Cli.Result r = cli.run("volume", "detach", "db");
        assertEquals(0, r.code(), r.toString());
        // Before: the empty "data" of the link's target was deleted, then the link.
        assertTrue(Files.isDirectory(emptyData), "a folder of the link's target was deleted");
        assertTrue(Files.isSymbolicLink(mountPoint), "the link is not Berth's to delete");
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }
}
