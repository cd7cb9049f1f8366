package dev.berth.host;

import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.LoopDevice;
import dev.berth.core.spi.HostOps.MountEntry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real loop devices, real filesystems, real mounts, all inside a temp folder, once through system
 * calls and once through losetup/mount/umount (host.syscalls): both must behave the same. Needs root.
 */
@ParameterizedClass(name = "host.syscalls = {0}")
@EnumSource(SyscallMode.class)
class LinuxHostOpsRootTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    private final SyscallMode mode;
    private final LinuxHostOps host;

    LinuxHostOpsRootTest(SyscallMode mode) {
        this.mode = mode;
        this.host = new LinuxHostOps(new ProcessRunner(), mode);
    }

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    /** Unmounts and detaches whatever a test left under the temp folder, even after a failure. */
    @AfterEach
    void cleanUp() throws IOException {
        HostCleanup.under(dir, host);
    }

    private Path sparse(String name, long size) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        return f;
    }

    @Test
    void attachIsIdempotent() throws IOException {
        Path f = sparse("a.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        assertTrue(dev.toString().startsWith("/dev/loop"), dev.toString());
        assertEquals(dev, host.loopAttach(f));
        assertEquals(1, host.loops().stream().filter(l -> l.backingFile().equals(f)).count());
        assertTrue(host.loops().contains(new LoopDevice(dev, f)));
    }

    @Test
    void findWorksFromANewInstance() throws IOException {
        Path f = sparse("b.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        assertEquals(Optional.of(dev), new LinuxHostOps(new ProcessRunner(), mode).loopFind(f));
        assertEquals(Optional.empty(), host.loopFind(sparse("other.img", 64 * MIB)));
        assertEquals(Optional.empty(), host.loopFind(dir.resolve("missing.img")));
    }

    @Test
    void pathsWithSpacesAndUnicodeWork() throws IOException {
        Path f = sparse("my vol ü.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        assertEquals(Optional.of(dev), host.loopFind(f));
        assertTrue(host.loops().contains(new LoopDevice(dev, f)));
    }

    @Test
    void detachIsIdempotent() throws IOException {
        Path f = sparse("c.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        host.loopDetach(dev);
        assertEquals(Optional.empty(), host.loopFind(f));
        host.loopDetach(dev);
        host.loopDetach(Path.of("/dev/loop999"));
    }

    @Test
    void aDeviceOfADeletedFileIsNotFoundForANewFileOfTheSameName() throws IOException {
        Path f = sparse("d.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        Files.delete(f);
        sparse("d.img", 64 * MIB);
        assertEquals(Optional.empty(), host.loopFind(f));
        assertTrue(host.loops().contains(new LoopDevice(dev, Path.of(f + " (deleted)"))), host.loops().toString());
        Path fresh = host.loopAttach(f);
        assertNotEquals(dev, fresh);
        host.loopDetach(dev); // the cleanup cannot see it: its backing path no longer lies in the temp folder
    }

    @Test
    void attachOfAMissingFileIsNotFound() {
        assertThrows(NotFound.class, () -> host.loopAttach(dir.resolve("nope.img")));
    }

    @Test
    void blankDeviceProbesEmpty() throws IOException {
        Path dev = host.loopAttach(sparse("e.img", 64 * MIB));
        assertEquals(Optional.empty(), host.probeFilesystem(dev));
        assertThrows(NotFound.class, () -> host.probeFilesystem(Path.of("/dev/loop999")));
    }

    @Test
    void dataWithoutASignatureIsNotBlank() throws IOException {
        Path f = sparse("junk.img", 64 * MIB);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(48 * MIB + 100); // not at the start, where blkid looks, but in a sampled region
            raf.write(new byte[] {1, 2, 3});
        }
        Path dev = host.loopAttach(f);
        assertTrue(host.probeFilesystem(dev).orElseThrow().startsWith("unrecognized data"));
    }

    @Test
    void ext4RoundTrip() throws IOException {
        roundTrip(FsType.EXT4, 64 * MIB);
    }

    @Test
    void xfsRoundTrip() throws IOException {
        roundTrip(FsType.XFS, 320 * MIB); // mkfs.xfs needs at least 300 MiB
    }

    private void roundTrip(FsType type, long size) throws IOException {
        Path f = sparse(type.id() + ".img", size);
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, type);
        assertEquals(Optional.of(type.id()), host.probeFilesystem(dev));

        Path mnt = Files.createDirectory(dir.resolve("mnt " + type.id()));
        host.mount(dev, mnt, type.id(), List.of());
        MountEntry m = host.mountAt(mnt).orElseThrow();
        assertEquals(new MountEntry(dev.toString(), mnt.toRealPath(), type.id()),
                new MountEntry(m.source(), m.target(), m.fsType()));
        assertEquals("/", m.root());
        assertFalse(m.readOnly());
        Files.writeString(mnt.resolve("hello.txt"), "kept across mounts");
        host.unmount(mnt);
        assertEquals(Optional.empty(), host.mountAt(mnt));
        assertFalse(Files.exists(mnt.resolve("hello.txt")));
        host.unmount(mnt); // not mounted: fine

        host.mount(dev, mnt, type.id(), List.of("noatime"));
        assertEquals("kept across mounts", Files.readString(mnt.resolve("hello.txt"), StandardCharsets.UTF_8));
        host.unmount(mnt);
        host.loopDetach(dev);
    }

    @Test
    void aReadOnlyBindOfASubfolderRefusesWritesWhileTheSourceStaysWritable() throws IOException {
        Path f = sparse("bind.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, FsType.EXT4);
        Path mnt = Files.createDirectory(dir.resolve("mnt-bind"));
        host.mount(dev, mnt, "ext4", List.of());
        Path data = Files.createDirectory(mnt.resolve("data"));
        Path ro = Files.createDirectory(dir.resolve("ro-target"));
        Path rw = Files.createDirectory(dir.resolve("rw-target"));
        try {
            host.bindMount(data, ro, List.of("ro", "nosuid"));
            host.bindMount(data, rw, List.of());
            MountEntry bind = host.mountAt(ro).orElseThrow();
            assertEquals(dev.toString(), bind.source());
            assertEquals("/data", bind.root());
            assertTrue(bind.readOnly(), bind.options().toString());
            assertTrue(bind.options().contains("nosuid"), bind.options().toString());
            assertThrows(IOException.class, () -> Files.writeString(ro.resolve("x"), "no"));
            Files.writeString(rw.resolve("x"), "yes");
            assertEquals("yes", Files.readString(ro.resolve("x")));
            assertFalse(host.mountAt(mnt).orElseThrow().readOnly(), "the remount changed only the bind");
            HostOps.FsStats st = host.statFs(rw);
            assertTrue(st.totalBytes() > 50L * MIB && st.totalBytes() <= 64 * MIB, st.toString());
            assertTrue(st.availableBytes() > 0 && st.availableBytes() <= st.totalBytes(), st.toString());
            assertTrue(st.totalInodes() > 1000 && st.freeInodes() < st.totalInodes(), st.toString());
            assertThrows(dev.berth.core.error.InvalidArgument.class, () -> host.bindMount(data, ro, List.of("data=journal")));
        } finally {
            host.unmount(ro);
            host.unmount(rw);
            host.unmount(mnt);
            host.loopDetach(dev);
        }
    }

    @Test
    void mkfsXfsRefusesToOverwriteAnotherFilesystem() throws IOException {
        Path f = sparse("guard.img", 320 * MIB);
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, FsType.EXT4);
        BackendFailure e = assertThrows(BackendFailure.class, () -> host.makeFilesystem(dev, FsType.XFS));
        assertTrue(e.getMessage().startsWith("mkfs.xfs failed (exit 1): "), e.getMessage());
        assertTrue(e.getMessage().contains("existing filesystem"), e.getMessage());
        assertEquals(Optional.of("ext4"), host.probeFilesystem(dev));
    }

    @Test
    void unmountOfAPlainFolderIsFine() throws IOException {
        host.unmount(Files.createDirectory(dir.resolve("plain")));
        host.unmount(dir.resolve("does-not-exist"));
    }

    @Test
    void mountFailuresCarryTheToolsMessageOrTheErrno() throws IOException {
        Path f = sparse("blank.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        Path mnt = Files.createDirectory(dir.resolve("m"));
        BackendFailure e = assertThrows(BackendFailure.class, () -> host.mount(dev, mnt, "ext4", List.of()));
        String expected = mode == SyscallMode.TOOLS ? "mount failed (exit 32): "
                : "mount(2) of " + dev + " on " + mnt + " as ext4 failed: EINVAL (Invalid argument)";
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertTrue(e.hint().contains(mode == SyscallMode.TOOLS ? "" : "holds no valid ext4 filesystem"), e.hint());
        assertEquals(Optional.empty(), host.mountAt(mnt));
    }

    @Test
    void optionsReachTheKernelTheSameWay() throws IOException {
        Path dev = host.loopAttach(sparse("opts.img", 64 * MIB));
        host.makeFilesystem(dev, FsType.EXT4);
        Path mnt = Files.createDirectory(dir.resolve("opts"));
        host.mount(dev, mnt, "ext4", List.of("ro", "noatime", "nodev", "errors=remount-ro"));
        String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mnt.toString())).findFirst().orElseThrow();
        String[] f = line.split(" ");
        assertEquals("ro,nodev,noatime", f[5], line); // per-mount flags
        assertTrue(line.contains(" - ext4 " + dev + " ro,"), line); // superblock options after the separator
        assertTrue(line.endsWith("errors=remount-ro"), line);
        host.unmount(mnt);
        assertThrows(dev.berth.core.error.InvalidArgument.class, () -> host.mount(dev, mnt, "ext4", List.of("remount")));
        assertThrows(dev.berth.core.error.InvalidArgument.class, () -> host.mount(dev, mnt, "ext4", List.of("ro,suid")));
        assertEquals(Optional.empty(), host.mountAt(mnt));
    }

    @Test
    void aBindMountRoundTrip() throws IOException {
        Path from = Files.createDirectory(dir.resolve("from"));
        Files.writeString(from.resolve("f"), "seen through the bind mount");
        Path to = Files.createDirectory(dir.resolve("to"));
        host.mount(from, to, "none", List.of("bind"));
        assertEquals("seen through the bind mount", Files.readString(to.resolve("f")));
        host.unmount(to);
        assertFalse(Files.exists(to.resolve("f")));
        assertTrue(Files.exists(from.resolve("f")));
    }

    @Test
    void aBusyMountPointIsNotUnmountedAndSaysSo() throws IOException {
        Path dev = host.loopAttach(sparse("ebusy.img", 64 * MIB));
        host.makeFilesystem(dev, FsType.EXT4);
        Path mnt = Files.createDirectory(dir.resolve("ebusy"));
        host.mount(dev, mnt, "ext4", List.of());
        try (var open = Files.newOutputStream(mnt.resolve("held.txt"))) {
            open.write(1);
            BackendFailure e = assertThrows(BackendFailure.class, () -> host.unmount(mnt));
            assertTrue(e.getMessage().contains(mode == SyscallMode.TOOLS ? "target is busy" : "umount2(2) of " + mnt
                    + " failed: EBUSY (Device or resource busy)"), e.getMessage());
            assertTrue(e.hint().contains("fuser -vm " + mnt), e.hint());
            assertTrue(host.mountAt(mnt).isPresent(), "no lazy detach: still mounted");
        }
        host.unmount(mnt);
        assertEquals(Optional.empty(), host.mountAt(mnt));
    }

    @Test
    void mountOfAMissingDeviceOrAFileNamesThePath() throws IOException {
        Path mnt = Files.createDirectory(dir.resolve("nodev"));
        Path missing = dir.resolve("no-such-device");
        BackendFailure e = assertThrows(BackendFailure.class, () -> host.mount(missing, mnt, "ext4", List.of()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        if (mode == SyscallMode.NATIVE) {
            assertTrue(e.getMessage().endsWith("failed: ENOENT (No such file or directory)"), e.getMessage());
            Path file = sparse("plain.img", MIB);
            BackendFailure notBlock = assertThrows(BackendFailure.class, () -> host.mount(file, mnt, "ext4", List.of()));
            assertTrue(notBlock.getMessage().endsWith("failed: ENOTBLK (Block device required)"), notBlock.getMessage());
            assertEquals(file + " is not a block device", notBlock.hint());
        }
        assertEquals(Optional.empty(), host.mountAt(mnt));
    }

    @Test
    void attachOfADirectoryIsNotFound() throws IOException {
        Path d = Files.createDirectory(dir.resolve("folder.img"));
        NotFound e = assertThrows(NotFound.class, () -> host.loopAttach(d));
        assertTrue(e.getMessage().contains(d.toString()), e.getMessage());
    }

    @Test
    void aMountedDeviceIsNeitherDetachedNorMarkedForAutoclear() throws IOException {
        Path f = sparse("busy.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, FsType.EXT4);
        Path mnt = Files.createDirectory(dir.resolve("busy"));
        host.mount(dev, mnt, "ext4", List.of());
        List<String> users = host.deviceUsers(dev);
        assertEquals(1, users.size(), users.toString());
        assertTrue(users.get(0).startsWith("mounted at " + mnt.toRealPath() + " (mount namespace of pid "), users.get(0));

        Busy e = assertThrows(Busy.class, () -> host.loopDetach(dev));
        assertTrue(e.getMessage().startsWith("loop device " + dev + " is in use, so it is left attached: mounted at " + mnt.toRealPath()),
                e.getMessage());
        assertEquals("0", autoclear(dev), "losetup --detach must not have run: it sets autoclear on a busy device");
        host.unmount(mnt);
        assertEquals(Optional.of(dev), host.loopFind(f), "still attached after the unmount: nothing was changed");
        assertEquals(List.of(), host.deviceUsers(dev));
        host.loopDetach(dev);
        assertEquals(Optional.empty(), host.loopFind(f));
    }

    @Test
    void aMountInAnotherMountNamespaceIsSeenToo() throws Exception {
        Path f = sparse("ns.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        host.makeFilesystem(dev, FsType.EXT4);
        Path mnt = Files.createDirectory(dir.resolve("ns"));
        Path ready = dir.resolve("ready");
        // A private mount namespace, as a container has: the mount is invisible in ours.
        Process other = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount " + dev + " " + mnt + " && touch " + ready + " && exec sleep 60").redirectErrorStream(true).start();
        try {
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.exists(ready) && other.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(ready), () -> "unshare failed: " + output(other));
            assertEquals(Optional.empty(), host.mountAt(mnt), "not mounted in this namespace");
            List<String> users = host.deviceUsers(dev);
            assertEquals(1, users.size(), users.toString());
            assertTrue(users.get(0).startsWith("mounted at " + mnt.toRealPath() + " (mount namespace of pid "), users.get(0));
            assertThrows(Busy.class, () -> host.loopDetach(dev));
            assertEquals("0", autoclear(dev));
        } finally {
            other.destroyForcibly();
            other.waitFor();
        }
        // The namespace died with its only process, and its mount with it.
        assertEquals(List.of(), host.deviceUsers(dev));
        host.loopDetach(dev);
        assertEquals(Optional.empty(), host.loopFind(f));
    }

    @Test
    void aDeletedBackingFileIsFoundByItsInode() throws IOException {
        Path f = sparse("gone.img", 64 * MIB);
        Path dev = host.loopAttach(f);
        HostOps.FileId id = FileIds.of(f).orElseThrow();
        assertEquals(List.of(new LoopDevice(dev, f)), host.loopsHolding(id));
        Files.delete(f);
        assertEquals(Optional.empty(), host.loopFind(f), "by path the device is gone ...");
        assertEquals(List.of(new LoopDevice(dev, Path.of(f + " (deleted)"))), host.loopsHolding(id),
                "... by inode it is still there");
        assertEquals(List.of(), host.loopsHolding(new HostOps.FileId(id.device(), id.inode() + 1_000_000)));
        host.loopDetach(dev);
        assertEquals(List.of(), host.loopsHolding(id));
    }

    private static String autoclear(Path dev) throws IOException {
        return Files.readString(Path.of("/sys/block", dev.getFileName().toString(), "loop/autoclear")).strip();
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
