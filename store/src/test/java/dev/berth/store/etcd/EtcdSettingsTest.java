package dev.berth.store.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EtcdSettingsTest {
    @Test
    void parsesMemberLists() {
        assertEquals(List.of(new EtcdSettings.Endpoint("h1", 2379), new EtcdSettings.Endpoint("10.0.0.2", 2380),
                new EtcdSettings.Endpoint("[::1]", 2379)), EtcdSettings.parseEndpoints("etcd://h1:2379,10.0.0.2:2380,[::1]:2379"));
        EtcdSettings tls = EtcdSettings.of("etcds://etcd-1.example.com:2379");
        assertTrue(tls.tls());
        assertEquals("https://etcd-1.example.com:2379", tls.uris().getFirst().toString());
        assertFalse(EtcdSettings.of("etcd://h:1").tls());
        assertEquals("etcd://h1:2379,h2:2379", EtcdSettings.of("etcd://h1:2379,h2:2379").url());
    }

    @Test
    void refusesEverythingButHostPortPairs() {
        for (String bad : List.of("", "h1:2379", "http://h1:2379", "etcd://", "etcd://h1", "etcd://h1:", "etcd://h1:0",
                "etcd://h1:65536", "etcd://h1:2379,", "etcd://,h1:2379", "etcd://user:pw@h1:2379", "etcd://h1:2379/path",
                "etcd://h1:2379?x=1", "etcd://h1:2379#f", "etcd://h 1:2379", "etcd://h1:23a9", "etcd://-h:2379",
                "etcd://h1:2379,h1:2379", "etcd://h%41:2379", "etcd://h1:2379\n")) {
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> EtcdSettings.parseEndpoints(bad), bad);
            assertFalse(e.hint().isEmpty(), bad);
        }
        InvalidArgument userinfo = assertThrows(InvalidArgument.class, () -> EtcdSettings.parseEndpoints("etcd://u:p@h:1"));
        assertTrue(userinfo.hint().contains("store.etcd.passwordFile"), userinfo.hint());
    }

    @Test
    void checksTheCombinations() {
        EtcdSettings plain = EtcdSettings.of("etcd://h:2379");
        assertThrows(InvalidArgument.class, () -> plain.withTls(Path.of("/ca.pem"), null, null), "TLS files on etcd://");
        EtcdSettings tls = EtcdSettings.of("etcds://h:2379");
        assertThrows(InvalidArgument.class, () -> tls.withTls(null, Path.of("/c.pem"), null), "cert without key");
        assertThrows(InvalidArgument.class, () -> plain.withUser("berth", null));
        assertThrows(InvalidArgument.class, () -> plain.withUser(null, "pw"));
        assertThrows(InvalidArgument.class, () -> plain.withTimeout(Duration.ofMillis(10)));
        for (String prefix : List.of("", "berth/", "/berth", "//", "/a//b/", "/sp ace/")) {
            assertThrows(InvalidArgument.class, () -> plain.withPrefix(prefix), prefix);
        }
        assertEquals("/berth/prod/", plain.withPrefix("/berth/prod/").prefix());
        assertFalse(plain.withUser("berth", "s3cret").toString().contains("s3cret"), "no password in messages");
    }
}
