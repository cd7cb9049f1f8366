package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.LocalBerth;
import dev.berth.app.testing.Sys;
import dev.berth.protocols.http.Json;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 7 item 5, second half: Berth mounted filesystems with known errors read-write without a
 * word. Each volume here is made and mounted by Berth, unmounted, then put into a state by the
 * filesystem's own tools on its image file, and mounted again through the CLI.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ParameterizedClass(name = "host.syscalls = {0}")
@ValueSource(strings = {"native", "tools"})
class FilesystemCheckIT {
    @TempDir
    Path dir;
    @Parameter
    String syscalls;
    LocalBerth berth;
    Cli cli;
    final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    /** A filter, not a handler: every in-process CLI run resets the log handlers (Logs.configure). */
    final Logger guardLog = Logger.getLogger("dev.berth.core.node.FilesystemGuard");

    @BeforeEach
    void start() throws Exception {
        berth = LocalBerth.start(dir, "fsck-node", Map.of("host.syscalls", syscalls));
        cli = berth.cli;
        guardLog.setFilter(r -> logged.add(r));
    }

    @AfterEach
    void stop() {
        guardLog.setFilter(null);
        try {
            if (berth != null) {
                berth.close();
            }
        } finally {
            Sys.cleanUp(dir);
        }
        assertEquals(List.of(), Sys.mountsUnder(dir), "mounts leaked");
        assertEquals(List.of(), Sys.loopsUnder(dir), "loop devices leaked");
    }

    /** Creates, mounts (formats) with a file in it, unmounts; returns the image file. */
    private Path formatted(String name, String fs, String size) throws Exception {
        assertEquals(0, cli.run("volume", "create", name, "--fs-type", fs, "--size", size).code());
        Cli.Result m = cli.run("volume", "mount", name);
        assertEquals(0, m.code(), m.toString());
        Files.writeString(Path.of(m.out().strip()).resolve("note"), "kept");
        assertEquals(0, cli.run("volume", "unmount", name).code());
        Cli.Result inspect = cli.run("volume", "inspect", name, "-o", "json");
        return Path.of(Json.MAPPER.readTree(inspect.out()).path("details").path("file").asText());
    }

    private static void run(String... argv) {
        Sys.Out o = Sys.run(List.of(argv));
        assertEquals(0, o.code(), String.join(" ", argv) + ": " + o.stderr());
    }

    private static String state(Path image) {
        return Sys.run(List.of("/usr/sbin/dumpe2fs", "-h", image.toString())).stdout().lines()
                .filter(l -> l.startsWith("Filesystem state:")).findFirst().orElseThrow();
    }

    private List<String> warnings() {
        return logged.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogRecord::getMessage).toList();
    }

    @Test
    void recordedErrorsArePreenedBeforeTheMountAndSaid() throws Exception {
        Path image = formatted("fixme", "ext4", "64M");
        run("/usr/sbin/debugfs", "-w", "-R", "ssv state 2", image.toString()); // errors, not valid
        assertEquals("Filesystem state:         not clean with errors", state(image));
        Cli.Result m = cli.run("volume", "mount", "fixme");
        assertEquals(0, m.code(), m.toString());
        assertEquals("kept", Files.readString(Path.of(m.out().strip()).resolve("note")));
        List<String> w = warnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.getFirst().startsWith("volume local/fixme (ext4 on /dev/loop"), w.getFirst());
        assertTrue(w.getFirst().contains(": e2fsck -p /dev/loop") && w.getFirst().contains(" repaired its filesystem,"
                + " mounting it: the superblock says: the kernel recorded errors in it; "), w.getFirst());
        assertEquals(0, cli.run("volume", "unmount", "fixme").code());
        assertEquals("Filesystem state:         clean", state(image));
    }

    @Test
    void errorsThePreenLeavesRefuseTheMountWithTheToolsWordsAndHowToRepair() throws Exception {
        Path image = formatted("broken", "ext4", "64M");
        run("/usr/sbin/debugfs", "-w", "-R", "clri <2>", image.toString()); // the root directory's inode
        run("/usr/sbin/debugfs", "-w", "-R", "ssv state 3", image.toString());
        Cli.Result m = cli.run("volume", "mount", "broken");
        assertEquals(1, m.code(), m.toString());
        assertTrue(m.err().startsWith("error: volume local/broken (ext4 on /dev/loop"), m.err());
        assertTrue(m.err().contains(" has filesystem errors, so Berth does not mount it: the superblock says: the kernel"
                + " recorded errors in it; e2fsck -p /dev/loop"), m.err());
        assertTrue(m.err().contains(" (exit 4): "), m.err());
        assertTrue(m.err().contains("Root inode is not a directory"), m.err());
        assertTrue(m.err().contains("UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY."), m.err());
        assertTrue(m.err().contains("hint: copy what matters off the volume first if you can; then `berth volume attach"
                + " broken --service local` (it shows the DEVICE), run e2fsck -f DEVICE (it asks before each fix),"
                + " `berth volume detach broken --service local` and mount again"), m.err());
        assertEquals(List.of(), Sys.mountsUnder(dir), "not mounted, not even read-only");
        assertEquals(List.of(), Sys.loopsUnder(dir), "and the device was let go");
        assertTrue(cli.run("volume", "inspect", "broken").out().contains("available"));

        // The hint works: attach, repair by hand (-y for the test), detach, mount.
        Cli.Result attach = cli.run("volume", "attach", "broken", "--service", "local", "-o", "json");
        assertEquals(0, attach.code(), attach.toString());
        String device = Json.MAPPER.readTree(attach.out()).path("device").asText();
        assertTrue(device.startsWith("/dev/loop"), attach.out());
        Sys.Out repair = Sys.run(List.of("/usr/sbin/e2fsck", "-f", "-y", device));
        assertEquals(1, repair.code(), repair.stdout() + repair.stderr());
        assertEquals(0, cli.run("volume", "detach", "broken", "--service", "local").code());
        Cli.Result again = cli.run("volume", "mount", "broken");
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, cli.run("volume", "unmount", "broken").code());
    }

    /** needsrepair: set by xfs_repair while it works; a repair that died leaves it. The kernel refuses such a mount. */
    @Test
    void xfsWithAnUnfinishedRepairIsRefusedWithXfsRepairsReport() throws Exception {
        Path image = formatted("xfsrep", "xfs", "300M");
        String incompat = Sys.run(List.of("/usr/sbin/xfs_db", "-c", "sb 0", "-c", "p features_incompat",
                image.toString())).stdout().strip().replace("features_incompat = ", "");
        run("/usr/sbin/xfs_db", "-x", "-c", "sb 0", "-c", "write -d features_incompat " + (Integer.decode(incompat) | 0x10),
                image.toString());
        Cli.Result m = cli.run("volume", "mount", "xfsrep");
        assertEquals(1, m.code(), m.toString());
        assertTrue(m.err().contains(" has filesystem errors, so Berth does not mount it: the superblock says: a repair"
                + " did not finish (the needsrepair flag is set); xfs_repair -n /dev/loop"), m.err());
        assertTrue(m.err().contains("would clear needsrepair flag"), m.err());
        assertTrue(m.err().contains("run xfs_repair DEVICE"), m.err());
        assertEquals(List.of(), Sys.mountsUnder(dir));
    }

    /** xfs records no error on disk: a corruption shows when the mount fails, and then the check says what it is. */
    @Test
    void aFailedXfsMountIsExplainedByXfsRepair() throws Exception {
        Path image = formatted("xfsbad", "xfs", "300M");
        long rootIno = Long.parseLong(Sys.run(List.of("/usr/sbin/xfs_db", "-c", "sb 0", "-c", "p rootino",
                image.toString())).stdout().strip().replace("rootino = ", ""));
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[8192]), rootIno * 512); // the root directory's inode chunk
            ch.force(true);
        }
        Cli.Result m = cli.run("volume", "mount", "xfsbad");
        assertEquals(1, m.code(), m.toString());
        assertTrue(m.err().startsWith("error: volume local/xfsbad (xfs on /dev/loop"), m.err());
        assertTrue(m.err().contains(" has filesystem errors, so Berth does not mount it: its mount failed ("
                + (syscalls.equals("tools") ? "mount failed (exit 32): " : "mount(2) of /dev/loop")), m.err());
        assertTrue(m.err().contains("Structure needs cleaning"), m.err());
        assertTrue(m.err().contains("), then xfs_repair -n /dev/loop"), m.err());
        assertTrue(m.err().contains(" (exit 1): "), m.err());
        assertEquals(List.of(), Sys.mountsUnder(dir));
        assertEquals(List.of(), Sys.loopsUnder(dir));
    }

    @Test
    void aCleanVolumeRunsNoCheck() throws Exception {
        formatted("clean", "ext4", "64M");
        assertEquals(0, cli.run("volume", "mount", "clean").code());
        assertEquals(0, cli.run("volume", "unmount", "clean").code());
        assertEquals(List.of(), logged.stream().map(LogRecord::getMessage).toList(), "nothing ran, nothing to say");
    }
}
