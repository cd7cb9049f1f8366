package dev.berth.drivers.dir;

import dev.berth.host.testing.Root;
import static dev.berth.drivers.dir.DirDriverTest.ID;
import static dev.berth.drivers.dir.DirDriverTest.SPEC;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Busy;
import dev.berth.host.LinuxHostOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removal must never delete into something mounted inside a volume folder. Needs root to mount. */
class DirDriverRootTest {
    @TempDir
    Path tmp;
    private final LinuxHostOps host = new LinuxHostOps();
    private Path mountPoint;

    @BeforeEach
    void needsRoot() {
        Root.require();
    }

    @AfterEach
    void cleanUp() {
        if (mountPoint != null) {
            host.unmount(mountPoint);
        }
    }

    @Test
    void removeRefusesWhileSomethingIsMountedInside() throws IOException {
        DirDriver driver = new DirDriver(tmp.resolve("dirs"), host);
        driver.create(ID, SPEC);
        Path precious = Files.createDirectory(tmp.resolve("precious"));
        Files.writeString(precious.resolve("f"), "must survive");
        mountPoint = Files.createDirectory(tmp.resolve("dirs").resolve(ID).resolve("bound"));
        host.mount(precious, mountPoint, "none", List.of("bind"));
        assertThrows(Busy.class, () -> driver.remove(ID));
        assertTrue(Files.exists(precious.resolve("f")));
        host.unmount(mountPoint);
        mountPoint = null;
        driver.remove(ID);
        assertTrue(Files.exists(precious.resolve("f")));
    }
}
