package dev.berth.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Files named by users are read only when they are regular and small: refusals are quick and name the file. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BoundedFilesTest {
    @TempDir
    Path dir;

    @Test
    void devZeroIsRefusedAtOnceInsteadOfFillingTheHeap() {
        long start = System.nanoTime();
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> BoundedFiles.read(Path.of("/dev/zero"), "CA file", BoundedFiles.PEM_LIMIT));
        assertEquals("CA file /dev/zero is a character device, not a regular file", e.getMessage());
        assertTrue(e.hint().contains("regular file"), e.hint());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "refused quickly");
    }

    @Test
    void aSymlinkToADeviceIsRefusedLikeTheDevice() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("ca.pem"), Path.of("/dev/urandom"));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(link, "CA file", 100));
        assertTrue(e.getMessage().contains("is a character device"), e.getMessage());
    }

    @Test
    void aFifoIsRefusedWithoutOpeningIt() throws Exception {
        Path fifo = dir.resolve("token");
        Process p = new ProcessBuilder(List.of("mkfifo", fifo.toString())).inheritIO().start();
        assertEquals(0, p.waitFor());
        // Opening a FIFO without a writer blocks forever: the class timeout catches a regression.
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(fifo, "token file", 100));
        assertEquals("token file " + fifo + " is a FIFO (named pipe), not a regular file", e.getMessage());
    }

    @Test
    void aFolderIsRefused() {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(dir, "config file", 100));
        assertEquals("config file " + dir + " is a folder, not a regular file", e.getMessage());
    }

    @Test
    void aFileAboveTheLimitIsRefusedAndOneAtTheLimitIsRead() throws IOException {
        Path big = Files.write(dir.resolve("big.pem"), new byte[BoundedFiles.PEM_LIMIT + 1]);
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> BoundedFiles.read(big, "CA file", BoundedFiles.PEM_LIMIT));
        assertEquals("CA file " + big + " holds " + (BoundedFiles.PEM_LIMIT + 1) + " bytes; a CA file is at most 1 MiB",
                e.getMessage());
        Path exact = Files.write(dir.resolve("exact"), new byte[BoundedFiles.SECRET_LIMIT]);
        assertEquals(BoundedFiles.SECRET_LIMIT, BoundedFiles.read(exact, "key", BoundedFiles.SECRET_LIMIT).length);
    }

    @Test
    void aFileThatClaimsSizeZeroIsStillBounded() {
        // /proc files say size 0 and have content: read, but never more than the limit.
        assertTrue(new String(BoundedFiles.read(Path.of("/proc/self/status"), "status", 64 * 1024)).contains("Pid:"));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(Path.of("/proc/self/status"), "status", 10));
        assertTrue(e.getMessage().endsWith("holds more than 10 bytes; a status is at most 10 bytes"), e.getMessage());
    }

    @Test
    void aMissingFileIsAnErrorOrEmpty() {
        Path missing = dir.resolve("nope/ca.pem");
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(missing, "CA file", 100));
        assertEquals("CA file " + missing + " does not exist", e.getMessage());
        assertEquals(Optional.empty(), BoundedFiles.readIfExists(missing, "CA file", 100));
    }

    @Test
    void aRegularFileAndASymlinkToOneAreReadExactly() throws IOException {
        byte[] content = {1, 2, 3, '\n', 0};
        Path f = Files.write(dir.resolve("key"), content);
        assertArrayEquals(content, BoundedFiles.read(f, "key", 5));
        Path link = Files.createSymbolicLink(dir.resolve("link"), f); // e.g. a Kubernetes secret
        assertArrayEquals(content, BoundedFiles.read(link, "key", 5));
    }

    @Test
    void oddPathsAreErrorsNotExceptions() throws IOException {
        Path f = Files.writeString(dir.resolve("plain"), "x");
        InvalidArgument through = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(f.resolve("ca.pem"), "CA file", 100));
        assertEquals("CA file " + f.resolve("ca.pem") + " does not exist", through.getMessage());
        Path loop = Files.createSymbolicLink(dir.resolve("loop"), dir.resolve("loop"));
        InvalidArgument looped = assertThrows(InvalidArgument.class, () -> BoundedFiles.read(loop, "CA file", 100));
        assertTrue(looped.getMessage().startsWith("cannot read CA file " + loop), looped.getMessage());
    }
}
