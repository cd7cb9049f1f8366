package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.rest.RestClient;
import java.net.URI;
import org.junit.jupiter.api.Test;

class BearerTokenTest {
    @Test
    void aTokenWithALineBreakIsOneClearErrorThatDoesNotEchoTheToken() {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> BearerToken.check("eyJh.secret\nmore", "given with --token"));
        assertEquals("the token given with --token has a line break at character 12 of 16", e.getMessage());
        assertEquals("copy the token without line breaks or spaces: it is one line of letters, digits, '-', '_' and '.'", e.hint());
        assertFalse(e.getMessage().contains("secret"), "the token is a secret: never printed");
    }

    @Test
    void otherCharactersThatCannotBeInAHeader() {
        assertEquals("the token x has a line break at character 4 of 4", message("abc\r"));
        assertEquals("the token x has a space at character 2 of 3", message("a b"));
        assertEquals("the token x has a tab at character 1 of 2", message("\ta"));
        assertEquals("the token x has a control character (U+0000) at character 2 of 3", message("a\0b"));
        assertEquals("the token x has a non-ASCII character (U+00E9) at character 1 of 1", message("é"));
        assertEquals("the token x is empty", message(""));
        assertEquals("a.b-c_d", BearerToken.check("a.b-c_d", "x"));
    }

    @Test
    void theClientRefusesSuchATokenBeforeTheHttpLibrarySeesIt() {
        // Before: java.lang.IllegalArgumentException "only ' ' and '\t' are allowed after '\n': Bearer abc\ndef".
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> RestClient.tcp(URI.create("https://127.0.0.1:7979"), ClientTrust.pinned("sha256:" + "ab".repeat(32)), "abc\ndef"));
        assertEquals("the token for https://127.0.0.1:7979 has a line break at character 4 of 7", e.getMessage());
        assertThrows(InvalidArgument.class, () -> RestClient.tcp(URI.create("https://h:99999"), ClientTrust.pinned("sha256:" + "ab".repeat(32)), null));
    }

    private static String message(String token) {
        return assertThrows(InvalidArgument.class, () -> BearerToken.check(token, "x")).getMessage();
    }
}
