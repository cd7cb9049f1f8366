package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.GuardRefused;
import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps.FilesystemCheck;
import dev.berth.core.spi.HostOps.FilesystemCheck.Outcome;
import dev.berth.core.spi.HostOps.Format;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ext4 multi-mount protection on real loop devices: what mkfs makes, that e2fsck still works on
 * it, and that a second kernel's mount (simulated: a second loop device on the same image while
 * the first is mounted in another mount namespace) is refused as {@link GuardRefused}. Needs root.
 */
class MultiMountProtectionRootTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    private final LinuxHostOps host = new LinuxHostOps();
    private final ProcessRunner run = new ProcessRunner();
    private ForeignMountNamespace holder;

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (holder != null) {
            holder.close();
        }
        HostCleanup.under(dir, host);
    }

    private Path image(String name) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(64 * MIB);
        }
        return f;
    }

    private String features(Path dev) {
        return run.run(List.of("dumpe2fs", "-h", dev.toString()), Duration.ofSeconds(30)).stdout().lines()
                .filter(l -> l.startsWith("Filesystem features:") || l.startsWith("MMP update interval:"))
                .reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void mkfsMakesMmpOnlyWhenAsked() throws IOException {
        Path plain = host.loopAttachNew(image("plain.img"));
        host.makeFilesystem(plain, FsType.EXT4);
        assertFalse(features(plain).contains(" mmp"), features(plain));
        assertEquals(Optional.of(false), MultiMountProtection.enabled(plain));

        Path image = image("guarded.img");
        Path guarded = host.loopAttachNew(image);
        host.makeFilesystem(guarded, FsType.EXT4, new Format(true, 3));
        assertTrue(features(guarded).contains(" mmp"), features(guarded));
        assertTrue(features(guarded).contains("MMP update interval:      3"), features(guarded));
        assertEquals(Optional.of(true), MultiMountProtection.enabled(image), "read from the image file itself");
        assertTrue(MultiMountProtection.read(guarded).orElseThrow().clean());
        assertEquals(Optional.empty(), MultiMountProtection.enabled(dir.resolve("plain.img").resolveSibling("nothing")));
    }

    /** e2fsck honours MMP (it waits its interval), and still preens and replays as before. */
    @Test
    void theCheckStillWorksOnAnMmpFilesystem() throws IOException {
        Path dev = host.loopAttachNew(image("check.img"));
        host.makeFilesystem(dev, FsType.EXT4, new Format(true, 1));
        run.run(List.of("debugfs", "-w", "-R", "ssv state 2", dev.toString()), Duration.ofSeconds(30));
        FilesystemCheck c = host.checkFilesystem(dev, "ext4", false);
        assertEquals(Outcome.REPAIRED, c.outcome(), c.report());
        assertEquals(new FilesystemCheck(Outcome.CLEAN, null, ""), host.checkFilesystem(dev, "ext4", false));
        Path mnt = Files.createDirectory(dir.resolve("m"));
        host.mount(dev, mnt, "ext4", List.of());
        assertTrue(MultiMountProtection.read(dev).map(b -> !b.clean()).orElse(false), "a live mount updates the MMP block");
        host.unmount(mnt);
        assertTrue(MultiMountProtection.read(dev).orElseThrow().clean(), "a clean unmount leaves it clean");
    }

    /**
     * Host a mounts the image through its device and keeps it mounted in its own mount namespace
     * (a private copy of ours, as the harness's hosts have); host b attaches a second device on the
     * same image, as another kernel would see the shared disk. b's mount, and b's e2fsck, are
     * refused by MMP after its wait (2 × max(5 s, interval) + 1 s), as GuardRefused; both run at
     * once so the test waits once.
     */
    @Test
    void aSecondKernelsMountAndCheckAreRefusedByTheGuard() throws Exception {
        Path image = image("shared.img");
        Path a = host.loopAttachNew(image);
        host.makeFilesystem(a, FsType.EXT4, new Format(true, 1));
        Path mntA = Files.createDirectory(dir.resolve("a")).toRealPath();
        host.mount(a, mntA, "ext4", List.of());
        Files.writeString(mntA.resolve("owner"), "a");
        holder = new ForeignMountNamespace(mntA);
        host.unmount(mntA); // now mounted only in "host a"'s namespace, its kernel thread still updating MMP
        assertTrue(host.deviceHeld(a));

        Path b = host.loopAttachNew(image);
        Path mntB = Files.createDirectory(dir.resolve("b"));
        // The quick look (two reads of the MMP block, one interval apart) sees the live holder.
        GuardRefused quick = host.heldByAnotherKernel(b).orElseThrow();
        assertTrue(quick.getMessage().startsWith("the filesystem of " + b + " is still mounted by another kernel"),
                quick.getMessage());
        CompletableFuture<Throwable> check = CompletableFuture.supplyAsync(() -> {
            try {
                host.checkFilesystem(b, "ext4", true);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        GuardRefused mount = assertThrows(GuardRefused.class, () -> host.mount(b, mntB, "ext4", List.of()));
        assertTrue(mount.getMessage().startsWith("the filesystem of " + b + " is still mounted by another kernel (ext4"
                + " multi-mount protection refused the mount after "), mount.getMessage());
        assertTrue(mount.getMessage().contains("last update through " + a.getFileName()), mount.getMessage());
        assertTrue(mount.hint().startsWith("wait until the other host lets go of it"), mount.hint());
        assertTrue(mount.getCause() instanceof BackendFailure, "the kernel's own error is kept as the cause");
        assertEquals(Optional.empty(), host.mountAt(mntB));
        Throwable checked = check.get(120, TimeUnit.SECONDS);
        assertTrue(checked instanceof GuardRefused, String.valueOf(checked));
        assertTrue(checked.getMessage().contains("e2fsck -p " + b + " (exit 8)"), checked.getMessage());

        holder.kill(host); // host a goes: its namespace, and with it its mount, is gone
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (host.deviceHeld(a)) {
            assertTrue(System.nanoTime() < deadline, "host a's mount did not go with its namespace");
            Thread.sleep(20);
        }
        assertEquals(Optional.empty(), host.heldByAnotherKernel(b), "a clean block: nobody holds it");
        host.mount(b, mntB, "ext4", List.of()); // a clean unmount: no wait
        assertEquals("a", Files.readString(mntB.resolve("owner")));
        host.unmount(mntB);
    }
}
