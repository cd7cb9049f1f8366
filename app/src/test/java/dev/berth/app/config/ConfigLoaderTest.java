package dev.berth.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    final ConfigLoader loader = new ConfigLoader(Map.of("loop", Set.of("pool"), "dir", Set.of("root")));
    @TempDir
    Path dir;

    Path file(String yaml) throws Exception {
        Path f = dir.resolve("c.yml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void defaultsWhenNothingIsGiven() {
        Config c = loader.load(null, Map.of(), Map.of());
        assertEquals("/run/berth/berth.sock", c.get(Keys.SOCKET));
        assertEquals("default", c.settings().get("socket").source());
        assertEquals(16L << 30, c.size(Keys.DEFAULT_SIZE));
        assertEquals("local", c.services().getFirst().name());
        assertEquals("loop", c.services().getFirst().driver());
        assertEquals("/var/lib/berth/pool", c.services().getFirst().options().get("pool"));
    }

    @Test
    void storeIsEmbeddedOrAStrictEtcdUrl() throws Exception {
        assertEquals("embedded", loader.load(null, Map.of(), Map.of()).get(Keys.STORE));
        Config etcd = loader.load(file("store: etcds://10.0.0.1:2379,10.0.0.2:2379\nstore.etcd.timeout: 2s\n"), Map.of(), Map.of());
        assertEquals("etcds://10.0.0.1:2379,10.0.0.2:2379", etcd.get(Keys.STORE));
        assertEquals(java.time.Duration.ofSeconds(2), etcd.duration(Keys.STORE_ETCD_TIMEOUT));
        for (String bad : List.of("sqlite", "etcd://user:pw@h:2379", "etcd://h:2379/x", "etcd://h")) {
            assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("store", bad)), bad);
        }
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of("BERTH_STORE_ETCD_PASSWORD_FILE", "rel/pw"), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("store.etcd.timeout", "soon")));
    }

    @Test
    void flagBeatsEnvBeatsFileBeatsDefault() throws Exception {
        Path f = file("socket: /tmp/file.sock\nmountRoot: /tmp/file-root\nvolumes:\n  defaultSize: 2G\n");
        Config c = loader.load(f, Map.of("BERTH_SOCKET", "/tmp/env.sock", "BERTH_MOUNT_ROOT", "/tmp/env-root"),
                Map.of("socket", "/tmp/flag.sock"));
        assertEquals("/tmp/flag.sock", c.get(Keys.SOCKET));
        assertEquals("flag", c.settings().get("socket").source());
        assertEquals("/tmp/env-root", c.get(Keys.MOUNT_ROOT));
        assertEquals("env BERTH_MOUNT_ROOT", c.settings().get("mountRoot").source());
        assertEquals("2G", c.get(Keys.DEFAULT_SIZE));
        assertEquals("file " + f, c.settings().get("volumes.defaultSize").source());
        assertEquals("5s", c.get(Keys.LEASE_TTL));
    }

    @Test
    void envNamesAreDerivedFromKeys() {
        assertEquals("BERTH_VOLUMES_DEFAULT_SIZE", Keys.DEFAULT_SIZE.env());
        assertEquals("BERTH_STATE_DIR", Keys.STATE_DIR.env());
        assertEquals("BERTH_DOCKER_SOCKET", Keys.DOCKER_SOCKET.env());
    }

    @Test
    void unknownKeyNamesTheClosestValidOne() throws Exception {
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> loader.load(file("mountRot: /x\n"), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("unknown config key 'mountRot'"), e.getMessage());
        assertTrue(e.hint().startsWith("did you mean 'mountRoot'?"), e.hint());
        InvalidArgument nested = assertThrows(InvalidArgument.class,
                () -> loader.load(file("volumes:\n  defaultSise: 1G\n"), Map.of(), Map.of()));
        assertTrue(nested.hint().contains("'volumes.defaultSize'"), nested.hint());
        InvalidArgument flag = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("sockt", "/x")));
        assertTrue(flag.hint().contains("'socket'"), flag.hint());
    }

    @Test
    void badValuesAreRefused() throws Exception {
        assertThrows(InvalidArgument.class, () -> loader.load(file("volumes:\n  defaultSize: 10XB\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("volumes:\n  defaultFsType: ntfs\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("socket: relative.sock\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("stateDir: /var/../etc\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("leaseTtl: 5 years\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("node: -bad\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(file("socket: [unclosed\n"), Map.of(), Map.of()));
        assertThrows(InvalidArgument.class, () -> loader.load(dir.resolve("missing.yml"), Map.of(), Map.of()));
    }

    @Test
    void servicesAreChecked() throws Exception {
        Config ok = loader.load(file("services:\n  fast:\n    driver: dir\n    options: {root: /tmp/x}\n"
                + "volumes:\n  defaultService: fast\n"), Map.of(), Map.of());
        assertEquals("fast", ok.services().getFirst().name());
        InvalidArgument driver = assertThrows(InvalidArgument.class,
                () -> loader.load(file("services:\n  a:\n    driver: ebs\n"), Map.of(), Map.of()));
        assertTrue(driver.hint().contains("dir, loop"), driver.hint());
        InvalidArgument option = assertThrows(InvalidArgument.class,
                () -> loader.load(file("services:\n  local:\n    driver: loop\n    options: {pol: /x}\n"), Map.of(), Map.of()));
        assertTrue(option.getMessage().contains("'pol'") && option.hint().contains("pool"), option.hint());
        InvalidArgument dflt = assertThrows(InvalidArgument.class,
                () -> loader.load(file("services:\n  a:\n    driver: dir\n"), Map.of(), Map.of()));
        assertTrue(dflt.getMessage().contains("defaultService"), dflt.getMessage());
    }

    @Test
    void rolesAndControllerAreChecked() throws Exception {
        InvalidArgument role = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("role", "boss")));
        assertTrue(role.hint().contains("controller"), role.hint());
        InvalidArgument agent = assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("role", "agent")));
        assertTrue(agent.hint().contains("--controller"), agent.hint());
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(),
                Map.of("role", "agent", "controller.url", "ftp://x")));
        Config ok = loader.load(null, Map.of("BERTH_CONTROLLER_URL", "https://ctl:7979"), Map.of("role", "agent"));
        assertEquals("env BERTH_CONTROLLER_URL", ok.settings().get("controller.url").source());
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("api.listen", "nohostport")));
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("api.tls", "maybe")));
        assertEquals(java.time.Duration.ofHours(1),
                loader.load(null, Map.of(), Map.of("api.taskWait", "1h")).duration(Keys.API_TASK_WAIT));
    }

    @Test
    void serviceSubjectListsAreRead() throws Exception {
        Config c = loader.load(file("services:\n  local:\n    driver: dir\n    allow: [admin, \"agent-*\"]\n"
                + "    deny: mallory, eve\n"), Map.of(), Map.of());
        assertEquals(java.util.List.of("admin", "agent-*"), c.services().getFirst().allow());
        assertEquals(java.util.List.of("mallory", "eve"), c.services().getFirst().deny());
        InvalidArgument typo = assertThrows(InvalidArgument.class,
                () -> loader.load(file("services:\n  local:\n    driver: dir\n    alow: [a]\n"), Map.of(), Map.of()));
        assertTrue(typo.hint().contains("'allow'"), typo.hint());
    }

    @Test
    void anAgentTakesItsTokenFromAFileOrFromTheValueButNotBoth() throws Exception {
        Config ok = loader.load(file("controller:\n  tokenFile: /etc/berth/token\n"), Map.of(), Map.of());
        assertEquals("/etc/berth/token", ok.get(Keys.CONTROLLER_TOKEN_FILE));
        assertEquals("BERTH_CONTROLLER_TOKEN_FILE", Keys.CONTROLLER_TOKEN_FILE.env());
        InvalidArgument both = assertThrows(InvalidArgument.class, () -> loader.load(
                file("controller:\n  tokenFile: /etc/berth/token\n"), Map.of(), Map.of("controller.token", "a.b.c")));
        assertTrue(both.getMessage().contains("controller.token") && both.getMessage().contains("controller.tokenFile")
                && both.getMessage().contains("flag"), both.getMessage());
        assertTrue(both.hint().contains("keep only controller.tokenFile"), both.hint());
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("controller.tokenFile", "token")));
        assertThrows(InvalidArgument.class, () -> loader.load(null, Map.of(), Map.of("controller.tokenFile", "/a/../b")));
        assertTrue(!Keys.SECRET.contains(Keys.CONTROLLER_TOKEN_FILE), "the file's path is no secret, `berth env` shows it");
    }
}
