package dev.berth.protocols.rest.security;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.logging.Logger;

/**
 * The server's TLS key and certificate: the configured pair, or one generated at first start and
 * kept in a folder ({@value #CERT_NAME}, {@value #KEY_NAME}). What is fingerprinted is what is
 * served: the PEM is read once and handed to Vert.x from memory, so a file replaced in between cannot
 * make the printed fingerprint lie.
 */
public final class TlsMaterial {
    public static final String CERT_NAME = "server.crt";
    public static final String KEY_NAME = "server.key";
    private static final Logger LOG = Logger.getLogger(TlsMaterial.class.getName());

    private final Path certFile;
    private final Path keyFile;
    private final X509Certificate certificate;
    private final String fingerprint;
    private final boolean generated;
    private final String certChainPem;
    private final String keyPem;

    private TlsMaterial(Path certFile, Path keyFile, List<X509Certificate> chain, PrivateKey key, boolean generated) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.certificate = chain.getFirst();
        this.fingerprint = Fingerprints.of(certificate);
        this.generated = generated;
        StringBuilder pem = new StringBuilder();
        chain.forEach(c -> pem.append(PemFiles.pem(c)));
        this.certChainPem = pem.toString();
        this.keyPem = PemFiles.pem(key);
    }

    /**
     * Loads {@code dir/server.crt} and {@code dir/server.key}, or, when neither exists, generates an EC
     * P-256 key and a self-signed certificate (CN berth, 10 years) naming {@code subjectAltNames} and
     * writes them there (folder 0700 if created, key 0600, certificate 0644, each written atomically).
     * One file without the other is an error rather than a silent new identity that every pinned
     * client would refuse.
     */
    public static TlsMaterial loadOrCreate(Path dir, List<String> subjectAltNames) {
        Path cert = dir.resolve(CERT_NAME);
        Path key = dir.resolve(KEY_NAME);
        boolean hasCert = Files.exists(cert);
        boolean hasKey = Files.exists(key);
        if (hasCert && hasKey) {
            return load(cert, key);
        }
        if (hasCert || hasKey) {
            Path present = hasCert ? cert : key;
            Path absent = hasCert ? key : cert;
            throw new InvalidArgument(present + " exists but " + absent + " does not",
                    "restore " + absent.getFileName() + ", or remove " + present
                            + " to generate a new pair (clients that pinned the old fingerprint must then trust the new one)");
        }
        var made = SelfSignedCertificate.generate(List.copyOf(subjectAltNames), Instant.now());
        try {
            PrivateFiles.ensureDir(dir);
            // Key first: a crash between the two writes leaves a key without certificate, which the
            // next start reports (above) instead of serving a certificate without its key.
            PrivateFiles.write(key, PemFiles.pem(made.key()).getBytes(StandardCharsets.US_ASCII), PrivateFiles.FILE_0600);
            PrivateFiles.write(cert, PemFiles.pem(made.certificate()).getBytes(StandardCharsets.US_ASCII), PrivateFiles.FILE_0644);
        } catch (IOException e) {
            throw new BackendFailure("cannot write the TLS key and certificate to " + dir + ": " + e.getMessage(),
                    "check that " + dir + " is writable by the user running Berth", e);
        }
        return new TlsMaterial(cert, key, List.of(made.certificate()), made.key(), true);
    }

    /**
     * Loads a configured certificate (PEM; a chain is served as given, leaf first) and its private key
     * (PEM: PKCS#8, or traditional RSA/EC). Unreadable files and a key that does not belong to the
     * certificate are InvalidArgument.
     */
    public static TlsMaterial load(Path certPem, Path keyPem) {
        List<X509Certificate> chain = PemFiles.certificates(certPem, "TLS certificate");
        PrivateKey key = PemFiles.privateKey(keyPem, "TLS key");
        X509Certificate leaf = chain.getFirst();
        if (!belongTogether(key, leaf)) {
            throw new InvalidArgument("TLS key " + keyPem + " does not belong to the certificate " + certPem,
                    "configure the key the certificate was issued for (the first certificate in the file is the server's)");
        }
        warnIfOutOfDate(leaf, certPem);
        return new TlsMaterial(certPem, keyPem, chain, key, false);
    }

    /** True when the key signs what the certificate's public key verifies: works for EC, RSA, EdDSA. */
    private static boolean belongTogether(PrivateKey key, X509Certificate cert) {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> throw new InvalidArgument("TLS key type " + key.getAlgorithm() + " is not supported",
                    "use an EC (P-256/P-384), RSA or Ed25519 key");
        };
        if (!cert.getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Pinned and trust-on-first-use clients ignore dates, CA clients do not: say so early. */
    private static void warnIfOutOfDate(X509Certificate cert, Path file) {
        try {
            cert.checkValidity();
        } catch (CertificateExpiredException e) {
            LOG.warning("TLS certificate " + file + " expired on " + cert.getNotAfter().toInstant()
                    + "; clients that verify it with a CA will refuse it");
        } catch (CertificateNotYetValidException e) {
            LOG.warning("TLS certificate " + file + " is valid only from " + cert.getNotBefore().toInstant()
                    + "; check this host's clock");
        }
    }

    public Path certFile() {
        return certFile;
    }

    public Path keyFile() {
        return keyFile;
    }

    /** The server certificate (the leaf). */
    public X509Certificate certificate() {
        return certificate;
    }

    /** {@code sha256:} + 64 lowercase hex digits over the DER certificate (see {@link Fingerprints}). */
    public String fingerprint() {
        return fingerprint;
    }

    /** True when this call generated the pair (the server should print the fingerprint prominently). */
    public boolean generated() {
        return generated;
    }

    /** A copy of {@code base} that serves TLS with this key and certificate, as {@link TlsPolicy} allows. */
    public HttpServerOptions serverOptions(HttpServerOptions base) {
        return TlsPolicy.server(new HttpServerOptions(base)
                .setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certChainPem))
                        .setKeyValue(Buffer.buffer(keyPem))));
    }

    @Override
    public String toString() {
        return "TlsMaterial[" + certFile + ", " + fingerprint + (generated ? ", generated" : "") + "]";
    }
}
