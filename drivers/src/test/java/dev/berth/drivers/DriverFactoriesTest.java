package dev.berth.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.FsType;
import dev.berth.core.model.VolumeSpec;
import dev.berth.core.spi.DriverFactory;
import dev.berth.core.spi.HostOps;
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
        assertEquals(Set.of("pool", "overcommit", "mmp", "mmpInterval", "shared"), new LoopDriverFactory().options());
        assertEquals(Set.of("pool"), new LoopDriverFactory().requiredOptions());
        assertEquals(Set.of("root"), new DirDriverFactory().requiredOptions());
        assertEquals("dir", new DirDriverFactory().kind());
        assertEquals(Set.of("root"), new DirDriverFactory().options());
    }

    /** Issue 7 item 11: `options: {}` used to put every volume in /var/lib/berth/pool unnoticed. */
    @Test
    void whereDataGoesIsNeverGuessed() {
        InvalidArgument loop = assertThrows(InvalidArgument.class, () -> new LoopDriverFactory().create("fast", null, host));
        assertEquals("service 'fast' uses the loop driver without option 'pool': Berth does not guess where volumes'"
                + " data goes", loop.getMessage());
        assertEquals("set services.fast.options.pool to a folder, e.g. /var/lib/berth/pool", loop.hint());
        assertThrows(InvalidArgument.class, () -> new LoopDriverFactory().create("fast", Map.of("overcommit", "2"), host));
        InvalidArgument dir = assertThrows(InvalidArgument.class, () -> new DirDriverFactory().create("s", Map.of(), host));
        assertTrue(dir.getMessage().contains("without option 'root'"), dir.getMessage());
        StorageDriver ok = new LoopDriverFactory().create("fast", Map.of("pool", "/srv/p"), host);
        assertEquals(1.0, ok.overcommit().getAsDouble());
        assertTrue(new DirDriverFactory().create("s", Map.of("root", "/srv/d"), host).overcommit().isEmpty(),
                "dir volumes' sizes are not enforced, so not counted");
    }

    @Test
    void overcommitIsAPlainRatio() {
        LoopDriverFactory f = new LoopDriverFactory();
        assertEquals(2.5, f.create("thin", Map.of("pool", "/srv/p", "overcommit", "2.5"), host).overcommit().getAsDouble());
        assertEquals(0.9, f.create("thin", Map.of("pool", "/srv/p", "overcommit", " 0.9 "), host).overcommit().getAsDouble());
        for (String bad : new String[] {"", "abc", "0", "0.05", "101", "NaN", "Infinity", "1e3", "-1", "2,5", "0x10",
                "1.5.5", "1000000"}) {
            InvalidArgument e = assertThrows(InvalidArgument.class,
                    () -> f.create("thin", Map.of("pool", "/srv/p", "overcommit", bad), host), bad);
            assertTrue(e.getMessage().startsWith("option 'overcommit' of service 'thin' (loop driver) is '" + bad + "'"),
                    e.getMessage());
            assertEquals("write a number like 1.0 or 2.5", e.hint());
        }
    }

    @Test
    void multiMountProtectionIsOnByDefaultAndConfigurable() {
        LoopDriverFactory f = new LoopDriverFactory();
        assertEquals(new HostOps.Format(true, 1), f.create("s", Map.of("pool", "/srv/p"), host).node().format());
        assertEquals(new HostOps.Format(false, 1), f.create("s", Map.of("pool", "/srv/p", "mmp", "false"), host).node().format());
        assertEquals(new HostOps.Format(true, 7), f.create("s", Map.of("pool", "/srv/p", "mmpInterval", "7"), host).node().format());
        for (String bad : new String[] {"", "yes", "TRUE", "1"}) {
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "/srv/p", "mmp", bad), host));
            assertEquals("write true or false", e.hint(), bad);
            assertThrows(InvalidArgument.class, () -> f.create("s", Map.of("pool", "/srv/p", "shared", bad), host), bad);
        }
        for (String bad : new String[] {"", "0", "301", "5s", "-1", "1.5"}) {
            InvalidArgument e = assertThrows(InvalidArgument.class,
                    () -> f.create("s", Map.of("pool", "/srv/p", "mmpInterval", bad), host), bad);
            assertTrue(e.getMessage().startsWith("option 'mmpInterval' of service 's' (loop driver) is '" + bad
                    + "', not a whole number from 1 to 300"), e.getMessage());
        }
    }

    /** xfs has no multi-mount protection: on a pool several hosts reach, an xfs volume is refused. */
    @Test
    void aSharedPoolRefusesXfs() {
        LoopDriverFactory f = new LoopDriverFactory();
        StorageDriver shared = f.create("san", Map.of("pool", "/srv/p", "shared", "true"), host);
        VolumeSpec xfs = new VolumeSpec("db", "san", 1L << 30, FsType.XFS, Map.of());
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> shared.create("0a0a0a0a-0000-4000-8000-00000000000a", xfs));
        assertTrue(e.getMessage().startsWith("volume db cannot be xfs: service san is shared"), e.getMessage());
        assertTrue(e.hint().startsWith("use ext4"), e.hint());
    }

    @Test
    void unknownOptionsNameTheValidOnes() {
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> new LoopDriverFactory().create("fast", Map.of("pol", "/x"), host));
        assertEquals("unknown option 'pol' for the loop driver of service 'fast'", e.getMessage());
        assertEquals("valid options: mmp, mmpInterval, overcommit, pool, shared", e.hint());
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
