package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.BoundedFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads and writes PEM with BouncyCastle's parser and writer. Keys and certificates become JDK
 * objects through the JDK's own providers (BouncyCastle is not registered as a JCA provider, so a
 * shaded jar without its signature files still works). Every problem is an InvalidArgument that
 * names the file.
 */
final class PemFiles {
    private PemFiles() {
    }

    /** All certificates of a PEM file, leaf first as TLS sends them; at least one. */
    static List<X509Certificate> certificates(Path file, String what) {
        List<X509Certificate> certs = new ArrayList<>();
        for (Object o : objects(file, what)) {
            if (o instanceof X509CertificateHolder h) {
                try {
                    certs.add(new JcaX509CertificateConverter().getCertificate(h));
                } catch (CertificateException e) {
                    throw new InvalidArgument(what + " " + file + " holds a certificate the JDK cannot read: "
                            + e.getMessage(), "use an X.509 certificate in PEM (-----BEGIN CERTIFICATE-----)", e);
                }
            }
        }
        if (certs.isEmpty()) {
            throw new InvalidArgument(what + " " + file + " contains no PEM certificate",
                    "give a file with a -----BEGIN CERTIFICATE----- block");
        }
        return certs;
    }

    /** The private key of a PEM file: PKCS#8, or the traditional RSA/EC forms OpenSSL writes. */
    static PrivateKey privateKey(Path file, String what) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : objects(file, what)) {
            try {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
            } catch (IOException e) {
                throw new InvalidArgument(what + " " + file + " holds a key the JDK cannot use: " + e.getMessage(),
                        "use an unencrypted EC, RSA or Ed25519 private key in PEM", e);
            }
            if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                throw new InvalidArgument(what + " " + file + " is encrypted with a passphrase",
                        "decrypt it for the server: openssl pkey -in " + file + " -out server.key");
            }
        }
        throw new InvalidArgument(what + " " + file + " contains no PEM private key",
                "give a file with a -----BEGIN PRIVATE KEY----- block");
    }

    /** A public key from a PEM public key (SubjectPublicKeyInfo) or from a certificate. */
    static PublicKey publicKey(Path file, String what) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : objects(file, what)) {
            try {
                if (o instanceof SubjectPublicKeyInfo info) {
                    return converter.getPublicKey(info);
                }
                if (o instanceof X509CertificateHolder h) {
                    return converter.getPublicKey(h.getSubjectPublicKeyInfo());
                }
            } catch (IOException e) {
                throw new InvalidArgument(what + " " + file + " holds a key the JDK cannot use: " + e.getMessage(),
                        "use an RSA or EC P-256 public key in PEM", e);
            }
            if (o instanceof PEMKeyPair || o instanceof PrivateKeyInfo) {
                // The verifier must never hold the signing key; say so rather than quietly accept it.
                throw new InvalidArgument(what + " " + file + " is a private key, not a public key",
                        "extract the public key and configure that: openssl pkey -in " + file + " -pubout -out public.pem");
            }
        }
        throw new InvalidArgument(what + " " + file + " contains no PEM public key",
                "give a file with a -----BEGIN PUBLIC KEY----- block (openssl pkey -in KEY -pubout)");
    }

    static String pem(X509Certificate certificate) {
        return write(certificate);
    }

    /** PKCS#8 ("BEGIN PRIVATE KEY"), the form every TLS stack reads. */
    static String pem(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot encode a private key", e);
        }
    }

    static String pem(PublicKey key) {
        return write(key);
    }

    private static String write(Object o) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode PEM", e);
        }
        return sw.toString();
    }

    private static List<Object> objects(Path file, String what) {
        byte[] bytes = BoundedFiles.readIfExists(file, what, BoundedFiles.PEM_LIMIT)
                .orElseThrow(() -> new InvalidArgument(what + " " + file + " does not exist", "check the path in the configuration"));
        List<Object> all = new ArrayList<>();
        try (Reader r = new StringReader(new String(bytes, StandardCharsets.US_ASCII)); PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                all.add(o);
            }
        } catch (IOException | RuntimeException e) {
            // PEMParser throws IOException (PEMException) or IllegalArgumentException on broken base64/DER.
            throw new InvalidArgument(what + " " + file + " is not valid PEM: " + e.getMessage(),
                    "give a PEM file (text with -----BEGIN ...----- blocks)", e);
        }
        if (all.isEmpty()) {
            throw new InvalidArgument(what + " " + file + " contains no PEM block",
                    "give a PEM file (text with -----BEGIN ...----- blocks)");
        }
        return all;
    }
}
