package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file a client or the daemon reads from a user-given path goes through BoundedFiles: a
 * device, a FIFO or a huge file is one clear InvalidArgument, at once (before: /dev/zero as a CA
 * file ran for 35 s into an OutOfMemoryError).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserFilesTest {
    @TempDir
    Path tmp;

    private void refusedQuickly(String expectedStart, Consumer<Path> read, Path file) {
        long start = System.nanoTime();
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> read.accept(file));
        assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    private Path fifo() throws Exception {
        Path f = tmp.resolve("fifo-" + System.nanoTime());
        assertEquals(0, new ProcessBuilder(List.of("mkfifo", f.toString())).inheritIO().start().waitFor());
        return f;
    }

    @Test
    void caFile() throws Exception {
        Path zero = Path.of("/dev/zero");
        refusedQuickly("CA file /dev/zero is a character device", p -> ClientTrust.caFile(p), zero);
        refusedQuickly("CA file " + tmp + " is a folder", p -> ClientTrust.caFile(p), tmp);
        Path fifo = fifo();
        refusedQuickly("CA file " + fifo + " is a FIFO", p -> ClientTrust.caFile(p), fifo);
        Path big = Files.writeString(tmp.resolve("big.pem"), "-----BEGIN CERTIFICATE-----\n" + "A".repeat(2 << 20));
        refusedQuickly("CA file " + big + " holds " + Files.size(big) + " bytes; a CA file is at most 1 MiB",
                p -> ClientTrust.caFile(p), big);
        refusedQuickly("CA file " + tmp.resolve("none.pem") + " does not exist", p -> ClientTrust.caFile(p), tmp.resolve("none.pem"));
        refusedQuickly("CA file /dev/zero is a character device",
                p -> ClientTrust.choose(p, null, null), zero);
    }

    @Test
    void knownHostsFileIsCheckedBeforeAnyConnection() throws Exception {
        refusedQuickly("known hosts file /dev/zero is a character device", ClientTrust::trustOnFirstUse, Path.of("/dev/zero"));
        Path fifo = fifo();
        refusedQuickly("known hosts file " + fifo + " is a FIFO", p -> ClientTrust.choose(null, null, p), fifo);
        Path big = Files.write(tmp.resolve("known_hosts"), new byte[(1 << 20) + 1]);
        refusedQuickly("known hosts file " + big + " holds", ClientTrust::trustOnFirstUse, big);
        ClientTrust.trustOnFirstUse(tmp.resolve("absent/known_hosts")); // a missing one is fine: first use
    }

    @Test
    void hs256KeyAndTokenIssuing() throws Exception {
        refusedQuickly("token key /dev/zero is a character device", Hs256Key::read, Path.of("/dev/zero"));
        refusedQuickly("token key /dev/zero is a character device",
                p -> TokenIssuer.issueHs256(p, "bob", Duration.ofHours(1), Map.of()), Path.of("/dev/zero"));
        Path fifo = fifo();
        refusedQuickly("token key " + fifo + " is a FIFO", p -> new TokenVerifier(AuthConfig.hs256(p), Clock.systemUTC()), fifo);
        Path big = Files.write(tmp.resolve("hs256.key"), new byte[64 * 1024 + 1]);
        refusedQuickly("token key " + big + " holds 65537 bytes; a token key is at most 64 KiB", Hs256Key::read, big);
        refusedQuickly("token key " + tmp.resolve("none") + " does not exist", Hs256Key::read, tmp.resolve("none"));
    }

    @Test
    void pemFilesOfTheServer() throws Exception {
        Path fifo = fifo();
        refusedQuickly("TLS certificate /dev/zero is a character device", p -> TlsMaterial.load(p, fifo), Path.of("/dev/zero"));
        TlsMaterial ok = TlsMaterial.loadOrCreate(tmp.resolve("tls"), List.of("127.0.0.1"));
        refusedQuickly("TLS key " + fifo + " is a FIFO", p -> TlsMaterial.load(ok.certFile(), p), fifo);
        refusedQuickly("token public key /dev/zero is a character device",
                p -> new TokenVerifier(AuthConfig.publicKey(p), Clock.systemUTC()), Path.of("/dev/zero"));
        assertEquals(ok.fingerprint(), TlsMaterial.load(ok.certFile(), ok.keyFile()).fingerprint(), "real files still load");
    }
}
