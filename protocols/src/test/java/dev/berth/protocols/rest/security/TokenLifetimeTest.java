package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The maximum token lifetime ({@code exp - iat}): a stolen token must not be valid for ever. */
class TokenLifetimeTest {
    static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path tmp;
    Path key;

    @BeforeEach
    void key() throws Exception {
        key = Tokens.writeHs256Key(tmp.resolve("token.key"));
    }

    String token(Instant iat, Instant exp) throws Exception {
        return "Bearer " + Tokens.hs256(key, Tokens.claims("alice", iat, exp).build());
    }

    @Test
    void theDefaultMaximumIsThirtyDaysPlusTheClockSkew() throws Exception {
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key), CLOCK);
        assertEquals(Duration.ofDays(30), v.maxLifetime());
        Instant iat = NOW.minusSeconds(60);
        assertEquals("alice", v.verify(token(iat, iat.plus(Duration.ofDays(30)))).subject());
        assertEquals("alice", v.verify(token(iat, iat.plus(Duration.ofDays(30)).plusSeconds(30))).subject(), "skew");

        Unauthenticated e = assertThrows(Unauthenticated.class,
                () -> v.verify(token(iat, iat.plus(Duration.ofDays(30)).plusSeconds(31))));
        assertTrue(e.getMessage().contains("longer than this server's maximum token lifetime of 30d"), e.getMessage());
        assertTrue(e.hint().contains("--ttl 30d") && e.hint().contains("auth.maxTokenTtl"), e.hint());
    }

    @Test
    void aTokenThatLivesForEverIsRefusedEvenThoughItIsSignedAndCurrent() throws Exception {
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key), CLOCK);
        // what `berth token new --ttl 999999999d` used to make
        Unauthenticated e = assertThrows(Unauthenticated.class,
                () -> v.verify(token(NOW, NOW.plus(Duration.ofDays(999_999_999)))));
        assertTrue(e.getMessage().contains("lives 999999999d"), e.getMessage());
        // an old iat does not help: the lifetime counts, not what is left of it
        assertThrows(Unauthenticated.class, () -> v.verify(token(NOW.minus(Duration.ofDays(400)), NOW.plus(Duration.ofDays(1)))));
    }

    @Test
    void theMaximumIsConfigurable() throws Exception {
        TokenVerifier hour = new TokenVerifier(AuthConfig.hs256(key), CLOCK, Duration.ofHours(1));
        assertEquals("alice", hour.verify(token(NOW, NOW.plus(Duration.ofHours(1)))).subject());
        Unauthenticated e = assertThrows(Unauthenticated.class, () -> hour.verify(token(NOW, NOW.plus(Duration.ofHours(2)))));
        assertTrue(e.getMessage().contains("maximum token lifetime of 60m"), e.getMessage());
        TokenVerifier year = new TokenVerifier(AuthConfig.hs256(key), CLOCK, Duration.ofDays(365));
        assertEquals("alice", year.verify(token(NOW, NOW.plus(Duration.ofDays(365)))).subject());

        assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.hs256(key), CLOCK, Duration.ZERO));
        assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.hs256(key), CLOCK, Duration.ofSeconds(-1)));
        assertThrows(InvalidArgument.class, () -> new TokenVerifier(AuthConfig.hs256(key), CLOCK, null));
    }

    @Test
    void duplicateClaimsAreRefused() throws Exception {
        // {"sub":"alice","sub":"admin"}: two readers of the same token could see two subjects.
        long now = NOW.getEpochSecond();
        JWSObject jws = new JWSObject(new JWSHeader(JWSAlgorithm.HS256), new Payload(
                "{\"sub\":\"alice\",\"sub\":\"admin\",\"iat\":" + now + ",\"exp\":" + (now + 60) + "}"));
        jws.sign(new MACSigner(Files.readAllBytes(key)));
        TokenVerifier v = new TokenVerifier(AuthConfig.hs256(key), CLOCK);
        assertThrows(Unauthenticated.class, () -> v.verify("Bearer " + jws.serialize()));
    }
}
