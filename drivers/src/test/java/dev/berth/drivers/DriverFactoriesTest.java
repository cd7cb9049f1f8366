package dev.berth.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.StorageDriver;
import dev.berth.drivers.dir.DirDriverFactory;
import dev.berth.drivers.loop.LoopDriverFactory;
import dev.berth.host.LinuxHostOps;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DriverFactoriesTest {
    private final LinuxHostOps host = new LinuxHostOps();

    @Test
    void kindsAndOptions() {
        assertEquals("loop", new LoopDriverFactory().kind());
        assertEquals(Set.of("pool"), new LoopDriverFactory().options());
        assertEquals("dir", new DirDriverFactory().kind());
        assertEquals(Set.of("root"), new DirDriverFactory().options());
    }

    @Test
    void defaultsNeedNoOptions() {
        StorageDriver loop = new LoopDriverFactory().create("default", null, host);
        assertEquals("loop", loop.kind());
        assertTrue(loop.describe("0123abcd.img").get("file").startsWith("/var/lib/berth/pool/"));
        StorageDriver dir = new DirDriverFactory().create("default", Map.of(), host);
        assertEquals("/var/lib/berth/dirs/0123abcd", dir.describe("0123abcd").get("path"));
    }

    @Test
    void unknownOptionsNameTheValidOnes() {
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> new LoopDriverFactory().create("fast", Map.of("pol", "/x"), host));
        assertEquals("unknown option 'pol' for the loop driver of service 'fast'", e.getMessage());
        assertEquals("valid options: pool", e.hint());
        InvalidArgument d = assertThrows(InvalidArgument.class,
                () -> new DirDriverFactory().create("s", Map.of("pool", "/x"), host));
        assertEquals("valid options: root", d.hint());
    }

    @Test
    void pathsMustBeAbsoluteAndNormalized() {
        LoopDriverFactory f = new LoopDriverFactory();
        assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "pool"), host));
        assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "/var/lib/../pool"), host));
        assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "/var//pool"), host));
        assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "/var/pool/"), host));
        assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", ""), host));
        assertThrows(InvalidArgument.class, () -> new DirDriverFactory().create("s", Map.of("root", "-rf"), host));
        assertEquals("/srv/p/0a.img", f.create("s", Map.of("pool", "/srv/p"), host).describe("0a.img").get("file"));
    }

    @Test
    void factoriesAreDiscoverable() {
        Set<String> kinds = ServiceLoader.load(DriverFactory.class).stream()
                .map(p -> p.get().kind()).collect(Collectors.toSet());
        assertEquals(Set.of("loop", "dir"), kinds);
    }

    @Test
    void volumeIdsAreStrict() {
        assertTrue(VolumeIds.valid("3f2a9c1e-77b0-4d6e-9a51-0c2f4e8d9b10"));
        assertTrue(VolumeIds.valid("0".repeat(64)));
        for (String bad : new String[] {null, "", "ABC", "-1", "a/b", "..", "a.b", "a b", "0".repeat(65), "g"}) {
            assertThrows(InvalidArgument.class, () -> VolumeIds.check(bad), String.valueOf(bad));
        }
    }
}
