package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {
    @TempDir
    Path tmp;

    @Test
    void generatesKeyAndSelfSignedCertificateWithPrivateModes() throws Exception {
        Path dir = tmp.resolve("state/tls");
        TlsMaterial m = TlsMaterial.loadOrCreate(dir, List.of("localhost", "127.0.0.1", "::1", "ctl.example.org"));

        assertTrue(m.generated());
        assertEquals(dir.resolve("server.crt"), m.certFile());
        assertEquals(dir.resolve("server.key"), m.keyFile());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(m.keyFile())));
        assertTrue(Files.readString(m.keyFile()).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(m.certFile()).startsWith("-----BEGIN CERTIFICATE-----"));
        try (var leftovers = Files.list(dir)) {
            assertEquals(2, leftovers.count(), "no temporary files are left behind");
        }

        var cert = m.certificate();
        assertEquals("CN=berth", cert.getSubjectX500Principal().getName());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        cert.verify(cert.getPublicKey()); // self-signed
        assertEquals(256, ((ECPublicKey) cert.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        long days = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()).toDays();
        assertTrue(days >= 3650 && days <= 3651, "about ten years: " + days);
        Set<String> sans = new HashSet<>();
        for (List<?> san : cert.getSubjectAlternativeNames()) {
            sans.add(san.get(0) + "=" + san.get(1));
        }
        assertEquals(Set.of("2=localhost", "7=127.0.0.1", "7=0:0:0:0:0:0:0:1", "2=ctl.example.org"), sans);
    }

    @Test
    void fingerprintIsSha256OfTheDerCertificate() throws Exception {
        TlsMaterial m = TlsMaterial.loadOrCreate(tmp, List.of("127.0.0.1"));
        String expected = "sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(m.certificate().getEncoded()));
        assertEquals(expected, m.fingerprint());
        assertTrue(m.fingerprint().matches("sha256:[0-9a-f]{64}"));
    }

    @Test
    void fingerprintAndKeyAgreeWithOpenssl() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        TlsMaterial m = TlsMaterial.loadOrCreate(tmp, List.of("127.0.0.1"));
        String out = run("openssl", "x509", "-in", m.certFile().toString(), "-noout", "-fingerprint", "-sha256");
        // e.g. "sha256 Fingerprint=AB:CD:..." (the label's case differs between OpenSSL versions)
        String hex = out.substring(out.indexOf('=') + 1).strip().replace(":", "").toLowerCase();
        assertEquals(m.fingerprint(), "sha256:" + hex);
        run("openssl", "pkey", "-in", m.keyFile().toString(), "-noout"); // OpenSSL reads the key
    }

    @Test
    void secondStartLoadsTheSamePair() throws Exception {
        TlsMaterial first = TlsMaterial.loadOrCreate(tmp, List.of("127.0.0.1"));
        byte[] keyBytes = Files.readAllBytes(first.keyFile());
        TlsMaterial again = TlsMaterial.loadOrCreate(tmp, List.of("other.example"));
        assertFalse(again.generated());
        assertEquals(first.fingerprint(), again.fingerprint());
        assertArrayEquals(keyBytes, Files.readAllBytes(again.keyFile()));
    }

    @Test
    void loadsConfiguredOpensslPairsInTraditionalAndPkcs8Forms() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        // EC key in SEC1 form ("EC PRIVATE KEY", preceded by an "EC PARAMETERS" block)
        Path ecKey = tmp.resolve("ec.key");
        Path ecCrt = tmp.resolve("ec.crt");
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", ecKey.toString());
        run("openssl", "req", "-new", "-x509", "-key", ecKey.toString(), "-out", ecCrt.toString(), "-days", "2",
                "-subj", "/CN=ctl");
        assertTrue(Files.readString(ecKey).contains("BEGIN EC PRIVATE KEY"));
        TlsMaterial ec = TlsMaterial.load(ecCrt, ecKey);
        assertFalse(ec.generated());
        assertEquals(ecCrt, ec.certFile());

        // RSA key in PKCS#8 form
        Path rsaKey = tmp.resolve("rsa.key");
        Path rsaCrt = tmp.resolve("rsa.crt");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", rsaKey.toString(),
                "-out", rsaCrt.toString(), "-days", "2", "-subj", "/CN=ctl");
        String out = run("openssl", "x509", "-in", rsaCrt.toString(), "-noout", "-fingerprint", "-sha256");
        TlsMaterial rsa = TlsMaterial.load(rsaCrt, rsaKey);
        assertEquals(out.substring(out.indexOf('=') + 1).strip().replace(":", "").toLowerCase(),
                rsa.fingerprint().substring("sha256:".length()));
    }

    @Test
    void keyOfAnotherCertificateIsRefused() {
        TlsMaterial a = TlsMaterial.loadOrCreate(tmp.resolve("a"), List.of("127.0.0.1"));
        TlsMaterial b = TlsMaterial.loadOrCreate(tmp.resolve("b"), List.of("127.0.0.1"));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(a.certFile(), b.keyFile()));
        assertTrue(e.getMessage().contains("does not belong to the certificate"), e.getMessage());
        assertFalse(e.hint().isEmpty());
    }

    @Test
    void unreadableOrBrokenConfiguredFilesAreClearErrors() throws Exception {
        TlsMaterial good = TlsMaterial.loadOrCreate(tmp.resolve("good"), List.of("127.0.0.1"));
        Path missing = tmp.resolve("nope.crt");
        InvalidArgument e1 = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(missing, good.keyFile()));
        assertTrue(e1.getMessage().contains("does not exist") && e1.getMessage().contains(missing.toString()), e1.getMessage());

        Path garbage = Files.writeString(tmp.resolve("garbage.crt"), "hello, not a certificate\n");
        InvalidArgument e2 = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(garbage, good.keyFile()));
        assertTrue(e2.getMessage().contains("no PEM"), e2.getMessage());

        Path binary = Files.write(tmp.resolve("binary.key"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2});
        InvalidArgument e3 = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(good.certFile(), binary));
        assertTrue(e3.getMessage().contains("binary.key"), e3.getMessage());

        // the certificate file given as key and vice versa
        InvalidArgument e4 = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(good.keyFile(), good.certFile()));
        assertTrue(e4.getMessage().contains("no PEM certificate"), e4.getMessage());
    }

    @Test
    void encryptedKeyIsRefusedWithAHint() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl not installed");
        TlsMaterial good = TlsMaterial.loadOrCreate(tmp.resolve("good"), List.of("127.0.0.1"));
        Path enc = tmp.resolve("enc.key");
        run("openssl", "pkey", "-in", good.keyFile().toString(), "-aes256", "-passout", "pass:secret", "-out", enc.toString());
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> TlsMaterial.load(good.certFile(), enc));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
        assertTrue(e.hint().contains("openssl pkey"), e.hint());
    }

    @Test
    void halfAPairIsNotSilentlyReplaced() throws Exception {
        TlsMaterial m = TlsMaterial.loadOrCreate(tmp, List.of("127.0.0.1"));
        Files.delete(m.certFile());
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> TlsMaterial.loadOrCreate(tmp, List.of("127.0.0.1")));
        assertTrue(e.getMessage().contains("server.key exists but") && e.getMessage().contains("server.crt"), e.getMessage());
        assertTrue(Files.exists(m.keyFile()), "the key is left alone");
    }

    @Test
    void invalidSubjectAltNameIsRefused() {
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> TlsMaterial.loadOrCreate(tmp, List.of("not a host")));
        assertTrue(e.getMessage().contains("'not a host'"), e.getMessage());
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}
