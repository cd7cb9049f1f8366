package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/** Generates the server's key (EC P-256) and a self-signed certificate for it (BouncyCastle). */
final class SelfSignedCertificate {
    static final Duration VALIDITY = Duration.ofDays(3650);
    /** Back-dated so that a host whose clock is a little behind the server's still accepts it. */
    static final Duration BACKDATE = Duration.ofHours(1);

    record KeyAndCertificate(PrivateKey key, X509Certificate certificate) {
    }

    private SelfSignedCertificate() {
    }

    /**
     * @param subjectAltNames host names (DNS entries, '*.' wildcards allowed) and IP addresses (IP
     *                        entries) a client may use to reach the server; hostname verification in
     *                        the CA trust mode checks against these
     */
    static KeyAndCertificate generate(List<String> subjectAltNames, Instant now) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = gen.generateKeyPair();
            X500Name name = new X500Name("CN=berth");
            // Positive 159-bit serial: unique in practice, and within RFC 5280's 20-octet limit.
            BigInteger serial = new BigInteger(159, new SecureRandom());
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial,
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            if (!subjectAltNames.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, altNames(subjectAltNames));
            }
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer));
            return new KeyAndCertificate(pair.getPrivate(), cert);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            // Only a JDK without EC/SHA-256 support could get here.
            throw new IllegalStateException("cannot generate a TLS key and certificate", e);
        }
    }

    private static GeneralNames altNames(List<String> names) {
        GeneralName[] out = new GeneralName[names.size()];
        for (int i = 0; i < out.length; i++) {
            String n = names.get(i) == null ? "" : names.get(i).strip();
            String bare = n.startsWith("[") && n.endsWith("]") ? n.substring(1, n.length() - 1) : n;
            if (IPAddress.isValid(bare)) {
                out[i] = new GeneralName(GeneralName.iPAddress, bare);
            } else if (n.matches("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
                out[i] = new GeneralName(GeneralName.dNSName, n);
            } else {
                throw new InvalidArgument("'" + n + "' is neither a host name nor an IP address",
                        "list the names clients use to reach the controller, e.g. ctl.example.com, 10.0.0.5");
            }
        }
        return new GeneralNames(out);
    }
}
