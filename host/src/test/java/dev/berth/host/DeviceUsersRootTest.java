package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.model.FsType;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** What the busy check sees, and what it costs; real loop devices and mounts. Needs root. */
@ParameterizedClass(name = "host.syscalls = {0}")
@EnumSource(SyscallMode.class)
class DeviceUsersRootTest {
    @TempDir
    Path dir;
    private final LinuxHostOps host;
    private final DeviceUsers users = new DeviceUsers(Path.of("/proc"), Path.of("/sys"));

    DeviceUsersRootTest(SyscallMode mode) {
        this.host = new LinuxHostOps(new ProcessRunner(), mode);
    }

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() throws IOException {
        HostCleanup.under(dir, host);
    }

    @Test
    void aLazilyUnmountedFilesystemWithAnOpenFileIsStillAUser() throws IOException {
        Path dev = attachFormatted("lazy.img");
        Path mnt = Files.createDirectory(dir.resolve("lazy"));
        host.mount(dev, mnt, "ext4", List.of());
        try (var open = Files.newOutputStream(mnt.resolve("open.txt"))) {
            Sys.umountLazy(mnt);
            assertEquals(List.of(), Sys.mountsOf(dev), "no mount table shows it any more");
            List<String> seen = users.of(dev);
            assertEquals(1, seen.size(), seen.toString());
            assertTrue(seen.get(0).startsWith("an ext4 filesystem on it is mounted"), seen.get(0));
            open.write(1);
        }
        assertEquals(List.of(), users.of(dev), "the file closed, the superblock went");
        host.loopDetach(dev);
    }

    @Test
    void theQuickLookCostsMicrosecondsAndTheFullOneIsForRareCases() throws IOException {
        Path dev = attachFormatted("cost.img");
        int n = 200;
        for (int i = 0; i < 20; i++) {
            users.quick(dev);
            users.of(dev);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            assertEquals(List.of(), users.quick(dev));
        }
        long quick = (System.nanoTime() - t0) / n;
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            assertEquals(List.of(), users.of(dev));
        }
        long full = (System.nanoTime() - t1) / n;
        System.out.printf("device users: quick %d us, full %d us per call%n", quick / 1000, full / 1000);
        assertTrue(quick < 1_000_000, "the quick look took " + quick / 1000 + " us");
    }

    private Path attachFormatted(String name) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(64L << 20);
        }
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, FsType.EXT4);
        return dev;
    }

    /** Tools the test itself runs (not through Berth). */
    private static final class Sys {
        static void umountLazy(Path mnt) throws IOException {
            try {
                Process p = new ProcessBuilder("umount", "-l", mnt.toString()).inheritIO().start();
                assertEquals(0, p.waitFor());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        static List<String> mountsOf(Path dev) throws IOException {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(" " + dev + " ")).toList();
        }
    }
}
