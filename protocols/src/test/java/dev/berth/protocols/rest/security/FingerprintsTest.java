package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.api.Test;

class FingerprintsTest {
    static final String HEX = "3f1a".repeat(16);

    @Test
    void parseAcceptsCanonicalBareAndOpensslForms() {
        String canonical = "sha256:" + HEX;
        assertEquals(canonical, Fingerprints.parse(canonical));
        assertEquals(canonical, Fingerprints.parse("  SHA256:" + HEX.toUpperCase() + " "));
        assertEquals(canonical, Fingerprints.parse(HEX));
        StringBuilder colons = new StringBuilder();
        for (int i = 0; i < HEX.length(); i += 2) {
            colons.append(i == 0 ? "" : ":").append(HEX, i, i + 2);
        }
        assertEquals(canonical, Fingerprints.parse(colons.toString().toUpperCase()));
    }

    @Test
    void parseRefusesOtherDigestsAndTypos() {
        assertThrows(InvalidArgument.class, () -> Fingerprints.parse(null));
        assertThrows(InvalidArgument.class, () -> Fingerprints.parse(""));
        assertThrows(InvalidArgument.class, () -> Fingerprints.parse("sha1:" + HEX.substring(0, 40)));
        assertThrows(InvalidArgument.class, () -> Fingerprints.parse("sha256:" + HEX.substring(1)));
        assertThrows(InvalidArgument.class, () -> Fingerprints.parse("sha256:" + HEX.substring(1) + "g"));
    }
}
