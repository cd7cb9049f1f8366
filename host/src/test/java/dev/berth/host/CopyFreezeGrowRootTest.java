package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Busy;
import dev.berth.core.error.NotSupported;
import dev.berth.core.model.FsType;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reflink, sparse copy, freeze/thaw, loop capacity refresh and online growth on real filesystems:
 * an xfs (reflink=1, mkfs.xfs's default) and an ext4 made on loop devices by the test. Needs root.
 */
class CopyFreezeGrowRootTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    private final LinuxHostOps host = new LinuxHostOps();

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() throws IOException {
        HostCleanup.under(dir, host);
    }

    /** A filesystem of {@code type} on a loop file of {@code mib} MiB, mounted at dir/<name>; returns the mount point. */
    private Path pool(String name, FsType type, long mib) throws IOException {
        Path image = dir.resolve(name + ".img");
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(mib * MIB);
        }
        Path dev = host.loopAttachNew(image);
        host.makeFilesystem(dev, type);
        Path mnt = Files.createDirectory(dir.resolve(name)).toRealPath();
        host.mount(dev, mnt, type.id(), List.of());
        return mnt;
    }

    /** A sparse file: 1 MiB of pattern at 0 and at 40 MiB, length 64 MiB. */
    private static Path sparseFile(Path where) throws IOException {
        Path f = where.resolve("src");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(pattern(1)), 0);
            ch.write(ByteBuffer.wrap(pattern(2)), 40 * MIB);
            ch.truncate(64 * MIB);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(64 * MIB);
            }
        }
        return f;
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[(int) MIB];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void aReflinkOnXfsIsAnIndependentCopy() throws IOException {
        Path xfs = pool("xfs", FsType.XFS, 300);
        Path src = sparseFile(xfs);
        Path copy = xfs.resolve("copy");
        host.reflink(src, copy);
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(copy));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
        try (FileChannel ch = FileChannel.open(src, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(pattern(9)), 0);
        }
        assertArrayEquals(pattern(1), java.util.Arrays.copyOf(Files.readAllBytes(copy), (int) MIB), "the clone kept its data");
        assertThrows(dev.berth.core.error.AlreadyExists.class, () -> host.reflink(src, copy), "never over an existing file");
    }

    @Test
    void aReflinkOnExt4IsNotSupportedAndLeavesNoTarget() throws IOException {
        Path ext4 = pool("ext4", FsType.EXT4, 64);
        Path src = sparseFile(ext4);
        Path copy = ext4.resolve("copy");
        NotSupported e = assertThrows(NotSupported.class, () -> host.reflink(src, copy));
        assertTrue(e.getMessage().contains("FICLONE"), e.getMessage());
        assertFalse(Files.exists(copy), "no half-made target");
    }

    @Test
    void aSparseCopyKeepsBytesAndHoles() throws IOException {
        Path ext4 = pool("ext4", FsType.EXT4, 200);
        Path src = sparseFile(ext4);
        Path copy = ext4.resolve("copy");
        List<long[]> updates = new ArrayList<>();
        host.copySparse(src, copy, (done, total) -> updates.add(new long[] {done, total}));
        assertEquals(Files.size(src), Files.size(copy));
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(copy));
        long allocated = host.allocatedBytes(List.of(copy));
        assertTrue(allocated >= 2 * MIB && allocated < 4 * MIB, "only the 2 MiB of data take space: " + allocated);
        assertEquals(2 * MIB, updates.getLast()[0], "the last update counts every data byte");
        assertEquals(updates.getLast()[0], updates.getLast()[1]);
        assertThrows(dev.berth.core.error.AlreadyExists.class, () -> host.copySparse(src, copy, (d, t) -> { }));
    }

    @Test
    void aFrozenFilesystemBlocksAWriterUntilThawed() throws Exception {
        Path ext4 = pool("ext4", FsType.EXT4, 64);
        host.freeze(ext4);
        CountDownLatch written = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Files.writeString(ext4.resolve("during"), "x");
                written.countDown();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            assertFalse(written.await(2, TimeUnit.SECONDS), "a write must wait while the filesystem is frozen");
            Busy again = assertThrows(Busy.class, () -> host.freeze(ext4));
            assertTrue(again.getMessage().contains("frozen already"), again.getMessage());
        } finally {
            host.thaw(ext4);
        }
        assertTrue(written.await(60, TimeUnit.SECONDS), "the write goes through after the thaw");
        writer.join();
        host.thaw(ext4); // not frozen: not an error
        assertEquals("x", Files.readString(ext4.resolve("during")));
    }

    @Test
    void refreshAndGrowExt4AndXfsOnline() throws IOException {
        for (FsType type : List.of(FsType.EXT4, FsType.XFS)) {
            Path mnt = pool("grow-" + type.id(), type, 320);
            Path image = dir.resolve("grow-" + type.id() + ".img");
            Path dev = host.loopFind(image.toRealPath()).orElseThrow();
            assertEquals(320 * MIB, host.deviceSize(dev));
            long fsBefore = host.filesystemSize(dev).orElseThrow();
            long statBefore = host.statFs(mnt).totalBytes();
            try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
                raf.setLength(640 * MIB);
            }
            assertEquals(320 * MIB, host.deviceSize(dev), "the device keeps its size until refreshed");
            assertEquals(640 * MIB, host.loopRefreshCapacity(dev));
            if (type == FsType.EXT4 && !FilesystemGrower.hasSysResource()) {
                // A container without CAP_SYS_RESOURCE cannot grow a mounted ext4: the error must say so.
                NotSupported e = assertThrows(NotSupported.class, () -> host.growFilesystem(dev, mnt, "ext4"));
                assertTrue(e.getMessage().contains("CAP_SYS_RESOURCE"), e.getMessage());
                host.unmount(mnt);
                long offline = host.growFilesystem(dev, null, "ext4");
                assertTrue(offline > fsBefore && offline <= 640 * MIB, "offline: " + fsBefore + " -> " + offline);
                assertEquals(offline, host.filesystemSize(dev).orElseThrow());
                host.mount(dev, mnt, "ext4", List.of());
                assertTrue(host.statFs(mnt).totalBytes() > statBefore, "statvfs grew");
                continue;
            }
            if (type == FsType.XFS) {
                assertThrows(dev.berth.core.error.InvalidArgument.class, () -> host.growFilesystem(dev, null, "xfs"),
                        "xfs grows only mounted");
            }
            long grown = host.growFilesystem(dev, mnt, type.id());
            assertTrue(grown > fsBefore && grown <= 640 * MIB, type + ": " + fsBefore + " -> " + grown);
            assertTrue(host.statFs(mnt).totalBytes() > statBefore, type + " statvfs grew");
            Files.writeString(mnt.resolve("after"), "still writable");
        }
    }

    @Test
    void superblockSizes() throws IOException {
        Path image = dir.resolve("e.img");
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(64 * MIB);
        }
        Path dev = host.loopAttachNew(image);
        assertTrue(host.filesystemSize(dev).isEmpty(), "blank: unknown");
        host.makeFilesystem(dev, FsType.EXT4);
        assertEquals(64 * MIB, host.filesystemSize(dev).orElseThrow());
    }
}
