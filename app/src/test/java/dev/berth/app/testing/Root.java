package dev.berth.app.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests on loop devices and mounts need root. Outside CI they are skipped (and shown as skipped);
 * under .ci/run (-Dberth.requireRoot=true) a missing root fails them instead.
 */
public final class Root {
    private Root() {
    }

    public static void require() {
        boolean root = isRoot();
        if (Boolean.getBoolean("berth.requireRoot")) {
            assertTrue(root, "this test needs root (loop devices, mounts); CI runs as root");
        } else {
            assumeTrue(root, "needs root");
        }
    }

    public static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (Exception e) {
            return false;
        }
    }
}
