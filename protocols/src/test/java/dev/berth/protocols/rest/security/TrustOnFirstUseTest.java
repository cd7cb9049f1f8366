package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trust-on-first-use decisions without a network (HttpsServerTest covers them over TLS). */
class TrustOnFirstUseTest {
    @TempDir
    Path tmp;

    @Test
    void manyFirstHandshakesAtOnceRecordAndAnnounceOnce() throws Exception {
        X509Certificate cert = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1")).certificate();
        Path knownHosts = tmp.resolve("known_hosts");
        ByteArrayOutputStream notices = new ByteArrayOutputStream();
        ClientTrust tofu = new ClientTrust.TrustOnFirstUse(knownHosts, new PrintStream(notices, true, StandardCharsets.UTF_8));
        int n = 32;
        CountDownLatch go = new CountDownLatch(1);
        try (var pool = Executors.newFixedThreadPool(n)) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                X509ExtendedTrustManager tm = tofu.trustManager("ctl:7979"); // one per connection, as in use
                all.add(pool.submit(() -> {
                    go.await();
                    tm.checkServerTrusted(new X509Certificate[] {cert}, "EC");
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get();
            }
        }
        assertEquals(List.of("ctl:7979 " + Fingerprints.of(cert)), Files.readAllLines(knownHosts));
        assertEquals(1, notices.toString(StandardCharsets.UTF_8).lines().count(), notices.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anyRecordedLineMatchesAndBrokenLinesAreIgnored() throws Exception {
        X509Certificate cert = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1")).certificate();
        Path knownHosts = Files.writeString(tmp.resolve("known_hosts"), String.join("\n",
                "# comment", "", "ctl:7979 garbage", "CTL:7979 sha256:" + "00".repeat(32),
                "ctl:7979 " + Fingerprints.of(cert), "other:1 sha256:" + "11".repeat(32)) + "\n");
        String before = Files.readString(knownHosts);
        ClientTrust tofu = new ClientTrust.TrustOnFirstUse(knownHosts, new PrintStream(new ByteArrayOutputStream()));
        tofu.trustManager("ctl:7979").checkServerTrusted(new X509Certificate[] {cert}, "EC");
        assertEquals(before, Files.readString(knownHosts));
        TrustRefused e = assertThrows(TrustRefused.class,
                () -> tofu.trustManager("other:1").checkServerTrusted(new X509Certificate[] {cert}, "EC"));
        assertTrue(e.reason().getMessage().contains("sha256:" + "11".repeat(32)), e.reason().getMessage());
    }
}
