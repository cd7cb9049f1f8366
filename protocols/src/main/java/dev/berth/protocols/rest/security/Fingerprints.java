package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Certificate fingerprints in Berth's one text form: {@code sha256:} followed by the 64 lowercase
 * hex digits of SHA-256 over the certificate's DER encoding. It is what the server prints at start,
 * what known_hosts stores and what {@code --fingerprint} takes; it equals
 * {@code openssl x509 -noout -fingerprint -sha256} without the colons, lowercased.
 */
public final class Fingerprints {
    public static final String PREFIX = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private Fingerprints() {
    }

    public static String of(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return PREFIX + HexFormat.of().formatHex(digest);
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            // Every JDK has SHA-256, and a certificate we hold was decoded from DER.
            throw new IllegalStateException("cannot fingerprint a certificate", e);
        }
    }

    /**
     * Reads a fingerprint a user typed. Accepts upper case and OpenSSL's colon-separated form, with or
     * without the {@code sha256:} prefix, so that a pasted {@code openssl} output works too; returns the
     * canonical form.
     */
    public static String parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidArgument("the fingerprint is empty", hint());
        }
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith(PREFIX)) {
            s = s.substring(PREFIX.length());
        } else if (s.contains(":") && s.indexOf(':') != 2) {
            // Something like "sha1:..." or "md5:...": a prefix we do not speak.
            throw new InvalidArgument("fingerprint '" + text.strip() + "' is not a SHA-256 fingerprint", hint());
        }
        s = s.replace(":", "");
        if (!HEX64.matcher(s).matches()) {
            throw new InvalidArgument("fingerprint '" + text.strip() + "' is not 'sha256:' and 64 hex digits", hint());
        }
        return PREFIX + s;
    }

    private static String hint() {
        return "copy the fingerprint the controller printed at start, e.g. sha256:3f1a…(64 hex digits); "
                + "or compute it with: openssl x509 -in server.crt -noout -fingerprint -sha256";
    }
}
