package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first mount formats only what holds nothing: a fresh image is formatted without the blank
 * check's reads (the loop driver knows it is one hole), but a filesystem a user made on the
 * attached device before the first mount is found and mounted, never formatted over.
 */
class FirstMountIT {
    @TempDir
    Path dir;
    LocalBerth berth;

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "it-node", Map.of());
    }

    @AfterEach
    void stop() {
        if (berth != null) {
            berth.close();
        }
        Sys.cleanUp(dir);
    }

    @Test
    void aFilesystemMadeByHandOnTheAttachedDeviceIsMountedNotFormatted() throws Exception {
        Cli cli = berth.cli;
        assertEquals(0, cli.run("volume", "create", "mine", "--size", "320M").code());
        assertEquals(0, cli.run("volume", "attach", "mine").code());
        List<String> loops = Sys.loopsUnder(dir.resolve("pool"));
        assertEquals(1, loops.size(), loops.toString());
        String device = loops.get(0).split(" ")[0];
        // The user formats it xfs and leaves a file there, through the device Berth attached.
        assertEquals(0, Sys.run(List.of("/usr/sbin/mkfs.xfs", "-q", device)).code());
        Path by = Files.createDirectories(dir.resolve("by-hand"));
        assertEquals(0, Sys.run(List.of("/usr/bin/mount", device, by.toString())).code());
        Files.writeString(by.resolve("kept.txt"), "not formatted over");
        assertEquals(0, Sys.run(List.of("/usr/bin/umount", by.toString())).code());

        Cli.Result mounted = cli.run("volume", "mount", "mine");
        assertEquals(0, mounted.code(), mounted.toString());
        Path data = Path.of(mounted.out().strip());
        assertEquals("not formatted over", Files.readString(data.getParent().resolve("kept.txt")));
        assertEquals(0, cli.run("volume", "unmount", "mine").code());
        assertEquals(0, cli.run("volume", "detach", "mine").code());
    }

    @Test
    void aFreshVolumeIsFormattedWithItsFilesystem() throws Exception {
        Cli cli = berth.cli;
        assertEquals(0, cli.run("volume", "create", "fresh", "--size", "64M").code());
        Cli.Result mounted = cli.run("volume", "mount", "fresh");
        assertEquals(0, mounted.code(), mounted.toString());
        Path mountPoint = Path.of(mounted.out().strip()).getParent();
        String fs = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mountPoint.toString()))
                .map(l -> l.split(" - ")[1].split(" ")[0]).findFirst().orElse("none");
        assertEquals("ext4", fs);
        assertEquals(0, cli.run("volume", "unmount", "fresh").code());
    }
}
