package dev.berth.protocols.rest.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/** Test tokens made directly with nimbus, independent of the code under test (TokenIssuer). */
final class Tokens {
    private Tokens() {
    }

    static JWTClaimsSet.Builder claims(String sub, Instant iat, Instant exp) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
        if (sub != null) {
            b.subject(sub);
        }
        if (iat != null) {
            b.issueTime(Date.from(iat));
        }
        if (exp != null) {
            b.expirationTime(Date.from(exp));
        }
        return b;
    }

    static JWTClaimsSet valid(String sub) {
        Instant now = Instant.now();
        return claims(sub, now, now.plusSeconds(3600)).build();
    }

    static String sign(JWSAlgorithm alg, JWSSigner signer, JWTClaimsSet claims) {
        SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    static String hs256(byte[] key, JWTClaimsSet claims) {
        try {
            return sign(JWSAlgorithm.HS256, new MACSigner(key), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hs256(Path keyFile, JWTClaimsSet claims) throws IOException {
        return hs256(Files.readAllBytes(keyFile), claims);
    }

    static String rs256(KeyPair rsa, JWTClaimsSet claims) {
        return sign(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), claims);
    }

    static String es256(KeyPair ec, JWTClaimsSet claims) {
        try {
            return sign(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unsigned token: header {"alg":"none"} and an empty signature part. */
    static String none(JWTClaimsSet claims) {
        return new PlainJWT(claims).serialize();
    }

    /** A validly signed token whose header is then rewritten to alg "none" (signature dropped). */
    static String strippedToNone(String signed) {
        String[] parts = signed.split("\\.");
        String header = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
        return header + "." + parts[1] + ".";
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static Path writePublicKey(Path file, KeyPair pair) throws IOException {
        // Written by hand (SPKI DER in base64), independent of the PEM code under test.
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPublic().getEncoded());
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    static Path writeHs256Key(Path file) throws IOException {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.write(file, key);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
