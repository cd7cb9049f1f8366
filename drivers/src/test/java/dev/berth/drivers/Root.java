package dev.berth.drivers;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tests on real loop devices and mounts need root; elsewhere they show as skipped, never as passed. */
public final class Root {
    private Root() {
    }

    public static void assume() {
        assumeTrue(isRoot(), "needs root (loop devices, mounts); CI runs these as root");
    }

    public static boolean isRoot() {
        try {
            // /proc/self belongs to the effective uid of this process.
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
