package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps.FilesystemCheck;
import dev.berth.core.spi.HostOps.FilesystemCheck.Outcome;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The check before a mount on real loop devices, with filesystems put into each state by the
 * filesystems' own tools (debugfs, xfs_db) or by a real unclean stop (a copy of a mounted image).
 */
@ParameterizedClass(name = "host.syscalls = {0}")
@EnumSource(SyscallMode.class)
class FilesystemCheckRootTest {
    private static final long MIB = 1L << 20;
    private static final Duration T = Duration.ofSeconds(120);

    @TempDir
    Path dir;
    private final LinuxHostOps host;
    private final ProcessRunner run = new ProcessRunner();

    FilesystemCheckRootTest(SyscallMode mode) {
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

    private Path device(String name, long size, FsType fs) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, fs);
        return dev;
    }

    private void debugfs(Path dev, String request) {
        run.run(List.of("debugfs", "-w", "-R", request, dev.toString()), T);
    }

    private String ext4State(Path dev) {
        return run.run(List.of("dumpe2fs", "-h", dev.toString()), T).stdout().lines()
                .filter(l -> l.startsWith("Filesystem state:")).findFirst().orElseThrow();
    }

    @Test
    void aCleanExt4IsMountedWithoutRunningATool() throws IOException {
        Path dev = device("clean.img", 64 * MIB, FsType.EXT4);
        FilesystemCheck c = host.checkFilesystem(dev, "ext4", false);
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), c);
        FilesystemCheck forced = host.checkFilesystem(dev, "ext4", true);
        assertEquals(Outcome.CLEAN, forced.outcome(), forced.report());
        assertEquals("e2fsck -p " + dev, forced.tool());
    }

    /** debugfs' "ssv state 3" is what the kernel writes on an error: valid + ERROR_FS ("clean with errors"). */
    @Test
    void ext4WithRecordedErrorsIsPreenedAndThenClean() throws IOException {
        Path dev = device("errors.img", 64 * MIB, FsType.EXT4);
        debugfs(dev, "ssv state 3");
        assertEquals("Filesystem state:         clean with errors", ext4State(dev));
        FilesystemCheck c = host.checkFilesystem(dev, "ext4", false);
        // e2fsck found nothing else and cleared the flag (exit 0); state 2 (errors, not valid) exits 1
        assertEquals(Outcome.CLEAN, c.outcome(), c.report());
        assertEquals("e2fsck -p " + dev, c.tool());
        assertTrue(c.report().startsWith("the superblock says: the kernel recorded errors in it; e2fsck -p " + dev
                + " (exit 0): "), c.report());
        assertTrue(c.report().contains("contains a file system with errors, check forced"), c.report());
        assertEquals("Filesystem state:         clean", ext4State(dev));
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), host.checkFilesystem(dev, "ext4", false));
        debugfs(dev, "ssv state 2");
        FilesystemCheck fixed = host.checkFilesystem(dev, "ext4", false);
        assertEquals(Outcome.REPAIRED, fixed.outcome(), fixed.report());
        assertTrue(fixed.report().contains("(exit 1): "), fixed.report());
    }

    @Test
    void ext4ErrorsPreenDoesNotFixAreErrorsInTheToolsWords() throws IOException {
        Path dev = device("broken.img", 64 * MIB, FsType.EXT4);
        debugfs(dev, "clri <2>"); // the root directory's inode, zeroed
        debugfs(dev, "ssv state 3");
        FilesystemCheck c = host.checkFilesystem(dev, "ext4", false);
        assertEquals(Outcome.ERRORS, c.outcome(), c.report());
        assertTrue(c.report().contains("(exit 4): "), c.report());
        assertTrue(c.report().contains("Root inode is not a directory"), c.report());
        assertTrue(c.report().contains("UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY."), c.report());
        assertTrue(!c.report().contains("\n"), "one line: " + c.report());
    }

    /**
     * A real unclean stop: the image of a mounted ext4 copied as it is (what the disk holds when
     * the power goes), so its journal needs recovery. e2fsck replays it, and the file is there.
     */
    @Test
    void ext4CopiedWhileMountedHasItsJournalRecovered() throws IOException {
        Path dev = device("live.img", 64 * MIB, FsType.EXT4);
        Path mnt = Files.createDirectories(dir.resolve("live"));
        host.mount(dev, mnt, "ext4", List.of());
        Files.writeString(mnt.resolve("kept"), "written before the crash");
        run.run(List.of("sync", "-f", mnt.resolve("kept").toString()), T);
        Path copy = dir.resolve("crashed.img");
        Files.copy(dir.resolve("live.img"), copy, StandardCopyOption.REPLACE_EXISTING);
        host.unmount(mnt);
        Path crashed = host.loopAttach(copy);
        assertEquals(Optional.of(List.of("its journal needs recovery (it was not unmounted cleanly)")),
                Superblocks.ext4(crashed));
        FilesystemCheck c = host.checkFilesystem(crashed, "ext4", false);
        assertTrue(c.outcome() == Outcome.CLEAN || c.outcome() == Outcome.REPAIRED, c.toString());
        assertTrue(c.report().contains("recovering journal"), c.report());
        assertEquals(Optional.of(List.of()), Superblocks.ext4(crashed));
        host.mount(crashed, mnt, "ext4", List.of());
        assertEquals("written before the crash", Files.readString(mnt.resolve("kept")));
        host.unmount(mnt);
    }

    @Test
    void aCleanXfsIsMountedWithoutRunningATool() throws IOException {
        Path dev = device("clean-xfs.img", 300 * MIB, FsType.XFS);
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), host.checkFilesystem(dev, "xfs", false));
        FilesystemCheck forced = host.checkFilesystem(dev, "xfs", true);
        assertEquals(Outcome.CLEAN, forced.outcome(), forced.report());
        assertEquals("xfs_repair -n " + dev, forced.tool());
    }

    /** needsrepair is what xfs_repair sets while it repairs; a repair that died leaves it set. */
    @Test
    void xfsWithAnUnfinishedRepairIsReportedAsErrors() throws IOException {
        Path dev = device("needsrepair.img", 300 * MIB, FsType.XFS);
        String incompat = run.run(List.of("xfs_db", "-c", "sb 0", "-c", "p features_incompat", dev.toString()), T)
                .stdout().strip().replace("features_incompat = ", "");
        int flags = Integer.decode(incompat) | 0x10;
        run.run(List.of("xfs_db", "-x", "-c", "sb 0", "-c", "write -d features_incompat " + flags, dev.toString()), T);
        FilesystemCheck c = host.checkFilesystem(dev, "xfs", false);
        assertEquals(Outcome.ERRORS, c.outcome(), c.report());
        assertTrue(c.report().startsWith("the superblock says: a repair did not finish (the needsrepair flag is set);"
                + " xfs_repair -n " + dev + " (exit 1): "), c.report());
        assertTrue(c.report().contains("would clear needsrepair flag"), c.report());
        assertTrue(!c.report().contains("agno = "), "progress lines are left out: " + c.report());
    }

    /** Garbage over the root inode's chunk: only seen by a check (or a mount), xfs records nothing. */
    @Test
    void xfsCorruptionIsFoundWhenTheCheckRuns() throws IOException {
        Path dev = device("corrupt-xfs.img", 300 * MIB, FsType.XFS);
        long rootIno = Long.parseLong(run.run(List.of("xfs_db", "-c", "sb 0", "-c", "p rootino", dev.toString()), T)
                .stdout().strip().replace("rootino = ", ""));
        // Inodes are 512 bytes on a v5 filesystem with 4 KiB blocks; the first chunk sits in AG 0.
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[8192]), rootIno * 512);
            ch.force(true);
        }
        run.run(List.of("blockdev", "--flushbufs", dev.toString()), T);
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), host.checkFilesystem(dev, "xfs", false),
                "a clean xfs superblock is trusted: xfs keeps no error record");
        FilesystemCheck c = host.checkFilesystem(dev, "xfs", true);
        assertEquals(Outcome.ERRORS, c.outcome(), c.report());
        assertTrue(c.report().contains("xfs_repair -n " + dev + " (exit 1): "), c.report());
    }

    /** A copy of a mounted xfs has a log to replay: xfs_repair -n cannot tell, and that is what is said. */
    @Test
    void xfsWithALogToReplayIsNotCalledBroken() throws IOException {
        Path dev = device("live-xfs.img", 300 * MIB, FsType.XFS);
        Path mnt = Files.createDirectories(dir.resolve("live-xfs"));
        host.mount(dev, mnt, "xfs", List.of());
        for (int i = 0; i < 50; i++) {
            Files.writeString(mnt.resolve("f" + i), "x" + i);
        }
        run.run(List.of("sync", "-f", mnt.resolve("f0").toString()), T);
        Path copy = dir.resolve("crashed-xfs.img");
        Files.copy(dir.resolve("live-xfs.img"), copy, StandardCopyOption.REPLACE_EXISTING);
        host.unmount(mnt);
        Path crashed = host.loopAttach(copy);
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), host.checkFilesystem(crashed, "xfs", false),
                "the kernel replays the log at mount: nothing to run before");
        FilesystemCheck c = host.checkFilesystem(crashed, "xfs", true);
        assertEquals(Outcome.UNKNOWN, c.outcome(), c.report());
        assertTrue(c.report().startsWith("its log has changes to replay, which the kernel does at mount"), c.report());
        host.mount(crashed, mnt, "xfs", List.of());
        assertEquals("x49", Files.readString(mnt.resolve("f49")));
        host.unmount(mnt);
        assertEquals(Outcome.CLEAN, host.checkFilesystem(crashed, "xfs", true).outcome());
    }

    @Test
    void aDeviceWithoutThatFilesystemIsLeftToTheMount() throws IOException {
        Path dev = device("other.img", 300 * MIB, FsType.XFS);
        FilesystemCheck c = host.checkFilesystem(dev, "ext4", false);
        assertEquals(Outcome.UNKNOWN, c.outcome());
        assertNull(c.tool());
        assertEquals(Outcome.UNKNOWN, host.checkFilesystem(dev, "btrfs", false).outcome());
    }

    @Test
    void allocatedBytesCountsWhatIsWritten() throws IOException {
        Path a = dir.resolve("a.img");
        try (RandomAccessFile raf = new RandomAccessFile(a.toFile(), "rw")) {
            raf.setLength(1L << 30);
            raf.seek(512 * MIB);
            raf.write(new byte[4 * (int) MIB]);
            raf.getFD().sync();
        }
        long n = host.allocatedBytes(List.of(a, a, dir.resolve("missing.img")));
        assertTrue(n >= 4 * MIB && n < 5 * MIB, "a 1 GiB sparse file holding 4 MiB, counted once: " + n);
    }
}
