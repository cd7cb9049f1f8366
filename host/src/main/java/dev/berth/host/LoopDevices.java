package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.NotFound;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.LoopDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Loop devices: idempotent attach, lookup by backing file, checked detach. The binding itself is
 * a {@link LoopBinder} (ioctl or losetup); lookups read sysfs either way.
 */
final class LoopDevices {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /**
     * After the unbind (LOOP_CLR_FD, or {@code losetup --detach}), how long the device may take to go away. The kernel only
     * marks a device that is still open (mounted anywhere, even in another mount namespace, or
     * briefly probed by udev) for release when its last user lets go, and the call succeeds anyway.
     */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(3);
    /** Polls start short (the kernel usually lets go within a millisecond or two) and back off. */
    private static final long FIRST_POLL_MICROS = 500;
    private static final long MAX_POLL_MILLIS = 50;

    /**
     * Serializes attach and detach in this JVM (every instance: the backing-file lock cannot be
     * taken twice in one process), so two attaches of one file cannot race here.
     */
    private static final Object LOCK = new Object();

    private final ProcessRunner runner;
    private final LoopBinder binder;
    private final SysfsLoops sysfs = new SysfsLoops(Path.of("/sys/block"));
    private final DeviceUsers deviceUsers = new DeviceUsers(Path.of("/proc"), Path.of("/sys"));
    LoopDevices(ProcessRunner runner, LoopBinder binder) {
        this.runner = runner;
        this.binder = binder;
    }

    List<LosetupListing.Entry> entries() {
        if (sysfs.available()) {
            return sysfs.list();
        }
        return LosetupListing.parse(runner.run(LosetupListing.ARGS, TIMEOUT).stdout());
    }

    List<LoopDevice> list() {
        return entries().stream().map(e -> new LoopDevice(e.device(), Path.of(e.backingFile()))).toList();
    }

    /** Devices backed by this inode on this filesystem (losetup tells inodes; sysfs does not). */
    List<LoopDevice> holding(HostOps.FileId file) {
        return LosetupListing.parse(runner.run(LosetupListing.ARGS, TIMEOUT).stdout()).stream()
                .filter(e -> e.inode() == file.inode() && e.fileSystem() == file.device())
                .map(e -> new LoopDevice(e.device(), Path.of(e.backingFile())))
                .toList();
    }

    List<String> users(Path device) {
        return deviceUsers.of(HostPaths.loopDevice(device));
    }

    Path attach(Path file) {
        return bind(file, true);
    }

    /** Binds {@code file} to a new device, whatever other devices hold it already. */
    Path attachNew(Path file) {
        return bind(file, false);
    }

    /** @param reuse return a device already bound to the file instead of binding another */
    private Path bind(Path file, boolean reuse) {
        HostPaths.check("backing file", file);
        if (!Files.isRegularFile(file)) {
            throw new NotFound("backing file " + file + " does not exist or is not a regular file",
                    "create the volume first");
        }
        Path real = realPath(file);
        synchronized (LOCK) {
            // Another Berth process attaching the same file waits here until our device is in sysfs.
            try (BackingFileLock _ = BackingFileLock.take(real)) {
                if (reuse) {
                    Optional<Path> existing = find(real);
                    if (existing.isPresent()) {
                        return existing.get();
                    }
                }
                return binder.bind(real);
            }
        }
    }

    /**
     * The device backed by {@code file}, matched by the kernel's path and the file's inode, so a
     * device still holding a deleted file of the same name ("... (deleted)") never matches.
     */
    Optional<Path> find(Path file) {
        HostPaths.check("backing file", file);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Path real = realPath(file);
        long inode = inode(real);
        return entries().stream()
                .filter(e -> e.backingFile().equals(real.toString()))
                .filter(e -> e.inode() < 0 || inode < 0 || e.inode() == inode)
                .map(LosetupListing.Entry::device)
                .findFirst();
    }

    void detach(Path device) {
        HostPaths.loopDevice(device);
        synchronized (LOCK) {
            if (!bound(device)) {
                return;
            }
            if (!deviceUsers.quick(device).isEmpty()) {
                List<String> users = deviceUsers.of(device); // the slow look, only to say where
                throw new Busy("loop device " + device + " is in use, so it is left attached: "
                        + String.join("; ", users),
                        "unmount it there first (or stop whatever holds it), then retry");
            }
            try {
                binder.unbind(device);
            } catch (BackendFailure | Busy e) {
                if (!bound(device)) {
                    return; // someone else detached it between our look and the unbind: the goal is met
                }
                throw e;
            }
            awaitRelease(device);
        }
    }

    private void awaitRelease(Path device) {
        long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        long pollMicros = FIRST_POLL_MICROS;
        while (bound(device)) {
            if (System.nanoTime() - deadline > 0) {
                throw new Busy("loop device " + device + " is still in use after the detach: it is mounted "
                        + "or held open (perhaps in another mount namespace), so the kernel will only free it "
                        + "when its last user lets go",
                        "unmount it everywhere (grep " + device + " /proc/*/mountinfo) and retry");
            }
            try {
                Thread.sleep(java.time.Duration.ofNanos(pollMicros * 1000));
                pollMicros = Math.min(pollMicros * 2, MAX_POLL_MILLIS * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Busy("interrupted while waiting for " + device + " to be released", "retry");
            }
        }
    }

    private boolean bound(Path device) {
        return entries().stream().anyMatch(e -> e.device().equals(device));
    }

    private static Path realPath(Path file) {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            throw new BackendFailure("cannot resolve " + file + ": " + e.getMessage(), "check that the file exists", e);
        }
    }

    private static long inode(Path file) {
        try {
            return ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1; // no inode to compare: the path match alone decides
        }
    }
}
