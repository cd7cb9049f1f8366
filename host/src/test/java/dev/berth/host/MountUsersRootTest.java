package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.FsType;
import dev.berth.core.spi.HostOps.ProcessUse;
import dev.berth.host.testing.HostCleanup;
import dev.berth.host.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Finding and stopping what uses a mount, on a real loop filesystem with real processes: one with
 * its cwd there, one holding a file open, one running a binary from it (a mapping), one in another
 * mount namespace. Needs root.
 */
class MountUsersRootTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    private final LinuxHostOps host = new LinuxHostOps();
    private final List<Process> started = new ArrayList<>();
    private Path device;
    private Path mnt;

    @BeforeEach
    void mountAFilesystem() throws IOException {
        Root.require();
        Path image = dir.resolve("fs.img");
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(64 * MIB);
        }
        device = host.loopAttach(image);
        host.makeFilesystem(device, FsType.EXT4);
        mnt = Files.createDirectory(dir.resolve("mnt")).toRealPath();
        host.mount(device, mnt, "ext4", List.of());
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        HostCleanup.under(dir, host);
    }

    private Process start(Path cwd, String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private List<ProcessUse> usesOf(Process p) {
        return host.processesUsing(mnt).stream().filter(u -> u.pid() == p.pid()).toList();
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void findsAProcessThatHoldsTheDeviceNodeItselfAndNotOthers() throws Exception {
        // A raw block volume's user: the device open, nothing on its filesystem.
        Process raw = start(dir, "tail", "-f", device.toString());
        Process elsewhere = start(dir, "sleep", "600");
        await("tail has opened the device", () -> host.processesUsingDevice(device).stream().anyMatch(u -> u.pid() == raw.pid()));
        List<ProcessUse> users = host.processesUsingDevice(device);
        assertTrue(users.stream().anyMatch(u -> u.pid() == raw.pid() && u.how().matches("fd \\d+ " + device)), users.toString());
        assertTrue(users.stream().noneMatch(u -> u.pid() == elsewhere.pid()), users.toString());
        assertTrue(usesOf(raw).isEmpty(), "holding the device is not using the filesystem");
        host.kill(raw.pid());
        await("tail is gone", () -> !raw.isAlive());
        assertEquals(List.of(), host.processesUsingDevice(device).stream().filter(u -> u.pid() == raw.pid()).toList());
        assertEquals(List.of(), host.processesUsingDevice(dir.resolve("no-such-device")));
    }

    @Test
    void findsCwdOpenFileAndMappingAndKillEndsThem() throws Exception {
        Process inCwd = start(mnt, "sleep", "600");
        Path log = Files.writeString(mnt.resolve("log"), "x\n");
        Process holding = start(dir, "tail", "-f", log.toString());
        Path binary = Files.copy(Path.of("/usr/bin/sleep"), mnt.resolve("own-sleep"), StandardCopyOption.COPY_ATTRIBUTES);
        Process mapping = start(dir, binary.toString(), "600");
        Process elsewhere = start(dir, "sleep", "600");

        await("tail has opened the file", () -> usesOf(holding).stream().anyMatch(u -> u.how().startsWith("fd ")));
        await("the copied sleep has started", () -> !usesOf(mapping).isEmpty());
        assertEquals(List.of(new ProcessUse(inCwd.pid(), "sleep", "cwd")), usesOf(inCwd));
        assertTrue(usesOf(holding).stream().anyMatch(u -> u.command().equals("tail") && u.how().matches("fd \\d+ " + log)),
                usesOf(holding).toString());
        assertTrue(usesOf(mapping).stream().anyMatch(u -> u.how().equals("mmap " + binary)), usesOf(mapping).toString());
        assertEquals(List.of(), usesOf(elsewhere));
        assertTrue(host.processesUsing(mnt).stream().noneMatch(u -> u.pid() == ProcessHandle.current().pid()));

        for (Process p : List.of(inCwd, holding, mapping)) {
            host.kill(p.pid());
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "killed: " + p.pid());
            assertEquals(137, p.exitValue(), "SIGKILL");
        }
        assertEquals(List.of(), host.processesUsing(mnt));
        host.kill(inCwd.pid()); // gone (and reaped): not an error
        assertTrue(elsewhere.isAlive());
        host.unmount(mnt);
    }

    @Test
    void aProcessInAnotherMountNamespaceIsFoundByDeviceAndHoldsTheDevice() throws Exception {
        // A private copy of the mount table: our unmount does not reach its copy of the mount,
        // so the filesystem lives on there as on another host, while its cwd says nothing of ours.
        try (ForeignMountNamespace other = new ForeignMountNamespace(mnt)) {
            assertEquals(List.of(new ProcessUse(other.pid(), "sleep", "cwd")),
                    host.processesUsing(mnt).stream().filter(u -> u.pid() == other.pid()).toList());
            assertTrue(host.deviceHeld(device));

            host.unmount(mnt); // ours is not busy: the other namespace holds its own copy
            assertEquals(Optional.empty(), host.mountAt(mnt));
            assertEquals(List.of(), host.processesUsing(mnt), "not a mount point here any more");
            assertTrue(host.deviceHeld(device), "still mounted in the other namespace");

            other.kill(host);
            await("the namespace's mount goes with its last process: " + new DeviceUsers(Path.of("/proc"), Path.of("/sys")).of(device),
                    () -> !host.deviceHeld(device));
        }
        host.loopDetach(device);
        assertFalse(host.deviceHeld(device), "a detached device is not held");
    }

    @ParameterizedTest
    @EnumSource(SyscallMode.class)
    void aBusyMountResistsUnmountButNotALazyOne(SyscallMode mode) throws Exception {
        LinuxHostOps h = new LinuxHostOps(new ProcessRunner(), mode);
        Process busy = start(mnt, "sleep", "600");
        assertThrows(BackendFailure.class, () -> h.unmount(mnt));
        assertTrue(h.mountAt(mnt).isPresent());
        h.unmountLazy(mnt);
        assertEquals(Optional.empty(), h.mountAt(mnt));
        h.unmountLazy(mnt); // not mounted: fine
        assertTrue(h.deviceHeld(device), "the detached filesystem lives while its user does");
        h.kill(busy.pid());
        assertTrue(busy.waitFor(10, TimeUnit.SECONDS));
        await("released once its last user is gone", () -> !h.deviceHeld(device));
    }

    @Test
    void deviceHeldOnlyWhileMounted() {
        assertTrue(host.deviceHeld(device));
        host.unmount(mnt);
        assertFalse(host.deviceHeld(device));
        assertFalse(host.deviceHeld(Path.of("/dev/loop-does-not-exist")));
    }

    @Test
    void notAMountPointHasNoUsersAndKillRefusesSpecialPids() {
        assertEquals(List.of(), host.processesUsing(dir));
        assertThrows(InvalidArgument.class, () -> host.kill(0));
        assertThrows(InvalidArgument.class, () -> host.kill(1));
        assertThrows(InvalidArgument.class, () -> host.kill(-1));
        assertThrows(InvalidArgument.class, () -> host.kill(ProcessHandle.current().pid()));
    }
}
