package dev.berth.host.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests on real loop devices and mounts need root. Outside CI they are skipped (and shown as
 * skipped, never as passed); under .ci/run (-Dberth.requireRoot=true) a missing root fails them.
 */
public final class Root {
    private Root() {
    }

    public static void require() {
        if (Boolean.getBoolean("berth.requireRoot")) {
            assertTrue(isRoot(), "this test needs root (loop devices, mkfs, mount); CI runs as root");
        } else {
            assumeTrue(isRoot(), "needs root (loop devices, mkfs, mount); CI runs these as root");
        }
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
