package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ioctl path against the kernel and against losetup: what one attaches the other sees and
 * detaches, the EBUSY race at GET_FREE, the two-step path of kernels before 5.8, and the
 * backing-file lock between processes. Real loop devices in a temp folder; needs root.
 */
class NativeLoopsRootTest {
    private static final Duration TOOL = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private final ProcessRunner runner = new ProcessRunner();
    private final LinuxHostOps host = new LinuxHostOps(runner, SyscallMode.NATIVE);

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() throws IOException {
        HostCleanup.under(dir, host);
    }

    private Path sparse(String name) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(64L << 20);
        }
        return f.toRealPath();
    }

    @Test
    void aDeviceAttachedNativelyLooksToLosetupAndSysfsAsOneLosetupMade() throws IOException {
        Path f = sparse("native.img");
        Path dev = host.loopAttach(f);
        assertBound(dev, f, "1");
        String listed = runner.run(List.of("losetup", "--list", "--raw", "--noheadings", "--output",
                "NAME,AUTOCLEAR,RO,DIO,BACK-FILE", dev.toString()), TOOL).stdout().strip();
        assertEquals(dev + " 0 0 1 " + f.toString().replace(" ", "\\x20"), listed);
        assertEquals(List.of(dev.toString()), List.of(runner.run(List.of("losetup", "--associated", f.toString(),
                "--noheadings", "--output", "NAME", "--list"), TOOL).stdout().strip()));
    }

    @Test
    void aDeviceLosetupAttachedIsFoundAndDetachedNatively() throws IOException {
        Path f = sparse("by-losetup.img");
        Path dev = Path.of(runner.run(List.of("losetup", "--find", "--show", f.toString()), TOOL).stdout().strip());
        assertEquals(Optional.of(dev), host.loopFind(f));
        assertEquals(dev, host.loopAttach(f), "idempotent across the two paths: no second device");
        host.loopDetach(dev);
        assertEquals(Optional.empty(), host.loopFind(f));
        assertEquals("", runner.run(List.of("losetup", "--associated", f.toString()), TOOL).stdout());
    }

    @Test
    void aDeviceTakenBetweenGetFreeAndConfigureIsSkipped() throws IOException {
        Path f = sparse("mine.img");
        Path other = sparse("theirs.img");
        AtomicInteger taken = new AtomicInteger(-1);
        java.util.concurrent.atomic.AtomicBoolean ours = new java.util.concurrent.atomic.AtomicBoolean();
        IoctlBinder racing = new IoctlBinder(false, false, n -> {
            if (taken.compareAndSet(-1, n)) {
                // Another process binds device N first, as a concurrent losetup would. (If a test
                // elsewhere on this kernel took N even sooner, the race happens all the same.)
                try {
                    runner.run(List.of("losetup", "/dev/loop" + n, other.toString()), TOOL);
                    ours.set(true);
                } catch (dev.berth.core.error.BackendFailure takenByOthers) {
                    // N is bound either way
                }
            }
        });
        LinuxHostOps raced = new LinuxHostOps(runner, racing, new NativeMountCalls());
        Path dev = raced.loopAttach(f);
        Path theirs = Path.of("/dev/loop" + taken.get());
        assertNotEquals(theirs, dev, "EBUSY on the taken device, then the next free one");
        assertBound(dev, f, "0");
        if (ours.get()) {
            assertEquals(Optional.of(theirs), host.loopFind(other), "the other process's device is left alone");
        }
    }

    @Test
    void theTwoStepPathOfKernelsBefore58BindsTheSame() throws IOException {
        Path f = sparse("old-kernel.img");
        LinuxHostOps old = new LinuxHostOps(runner, new IoctlBinder(false, true, n -> { }), new NativeMountCalls());
        Path dev = old.loopAttach(f);
        assertBound(dev, f, "0");
        assertEquals(dev, old.loopAttach(f));
        old.loopDetach(dev);
        assertEquals(Optional.empty(), host.loopFind(f));
    }

    @Test
    void withoutDirectIoTheDeviceIsBuffered() throws IOException {
        Path f = sparse("buffered.img");
        LinuxHostOps buffered = new LinuxHostOps(runner, new IoctlBinder(false), new NativeMountCalls());
        Path dev = buffered.loopAttach(f);
        assertBound(dev, f, "0");
        buffered.loopDetach(dev);
    }

    /** ramfs has no O_DIRECT (losetup --direct-io=on fails there): the device is buffered instead. */
    @Test
    void aBackingFilesystemWithoutDirectIoGetsABufferedDevice() throws IOException {
        Path ramfs = Files.createDirectory(dir.resolve("ramfs"));
        runner.run(List.of("mount", "-t", "ramfs", "none", ramfs.toString()), TOOL);
        Path dev = null;
        try {
            Path f = ramfs.resolve("r.img");
            Files.write(f, new byte[1 << 20]);
            dev = host.loopAttach(f);
            assertBound(dev, f.toRealPath(), "0");
        } finally {
            if (dev != null) {
                host.loopDetach(dev);
            }
            host.unmount(ramfs);
        }
    }

    /**
     * Another Berth process in the middle of attaching the same file holds its lock: this attach
     * waits, then finds that process's device instead of binding a second one.
     */
    @Test
    void anAttachWaitsForAnotherProcessAttachingTheSameFile() throws Exception {
        Path f = sparse("shared.img");
        Path holderSource = dir.resolve("LockHolder.java");
        Files.writeString(holderSource, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class LockHolder {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE); var l = c.lock()) {
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process holder = new ProcessBuilder(java, holderSource.toString(), f.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            CompletableFuture<Path> attach = CompletableFuture.supplyAsync(() -> host.loopAttach(f));
            Thread.sleep(300); // without the lock, the attach would have bound its own device by now
            Path theirs = Path.of(runner.run(List.of("losetup", "--find", "--show", f.toString()), TOOL).stdout().strip());
            holder.getOutputStream().close(); // the other process's attach is done: it lets go
            assertEquals(theirs, attach.get(30, TimeUnit.SECONDS));
            assertEquals(1, host.loops().stream().filter(l -> l.backingFile().equals(f)).count(), host.loops().toString());
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    private void assertBound(Path dev, Path file, String dio) throws IOException {
        assertEquals(file.toString(), sysfs(dev, "backing_file"));
        assertEquals("0", sysfs(dev, "autoclear"));
        assertEquals("0", sysfs(dev, "offset"));
        assertEquals(dio, sysfs(dev, "dio"));
        assertEquals(file.toString(), statusFileName(dev), "lo_file_name, which LOOP_GET_STATUS64 reports");
    }

    private static String sysfs(Path dev, String attr) throws IOException {
        return Files.readString(Path.of("/sys/block", dev.getFileName().toString(), "loop", attr)).strip();
    }

    /** LOOP_GET_STATUS64's lo_file_name: what losetup shows where there is no sysfs. */
    private static String statusFileName(Path dev) {
        int fd = -1;
        try (Arena arena = Arena.ofConfined()) {
            fd = Libc.open(dev, Libc.O_RDONLY | Libc.O_CLOEXEC);
            MemorySegment info = arena.allocate(LoopConfig.INFO64);
            Libc.ioctl("LOOP_GET_STATUS64", fd, 0x4C05, info);
            byte[] name = info.asSlice(56, 64).toArray(ValueLayout.JAVA_BYTE);
            int end = 0;
            while (end < name.length && name[end] != 0) {
                end++;
            }
            return new String(name, 0, end, StandardCharsets.UTF_8);
        } catch (SyscallException e) {
            throw new AssertionError(e);
        } finally {
            Libc.close(fd);
        }
    }
}
