package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostPathsTest {
    @Test
    void acceptsAbsoluteNormalPaths() {
        assertEquals(Path.of("/var/lib/berth/pool"), HostPaths.check("pool", Path.of("/var/lib/berth/pool")));
        assertEquals(Path.of("/a b/c"), HostPaths.parse("pool", "/a b/c"));
    }

    @Test
    void refusesRelativeAndDotDotPaths() {
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("pool")));
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("-rf")));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("/a/../etc")));
        assertTrue(e.hint().contains("/etc"), e.hint());
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("/a/./b")));
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("/..")));
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", Path.of("/a\nb")));
        assertThrows(InvalidArgument.class, () -> HostPaths.check("x", null));
    }

    @Test
    void parseRefusesTextThatIsNotInNormalForm() {
        assertThrows(InvalidArgument.class, () -> HostPaths.parse("x", "/a//b"));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> HostPaths.parse("x", "/a/"));
        assertTrue(e.hint().endsWith("/a"), e.hint());
        assertThrows(InvalidArgument.class, () -> HostPaths.parse("x", ""));
        assertThrows(InvalidArgument.class, () -> HostPaths.parse("x", "relative/p"));
        assertThrows(InvalidArgument.class, () -> HostPaths.parse("x", "/a\0b"));
    }

    @Test
    void loopDevicesLookLikeLoopDevices() {
        assertEquals(Path.of("/dev/loop12"), HostPaths.loopDevice(Path.of("/dev/loop12")));
        assertThrows(InvalidArgument.class, () -> HostPaths.loopDevice(Path.of("/dev/sda")));
        assertThrows(InvalidArgument.class, () -> HostPaths.loopDevice(Path.of("/dev/loop-control")));
        assertThrows(InvalidArgument.class, () -> HostPaths.loopDevice(Path.of("/tmp/dev/loop0")));
    }
}
