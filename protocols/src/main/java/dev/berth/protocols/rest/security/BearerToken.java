package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;

/**
 * A token as a client sends it in {@code Authorization: Bearer ...}: one line of visible ASCII. A
 * line break pasted along with it would otherwise surface as a raw exception from the HTTP library
 * (and could split the header); it is refused up front with the position of the bad character.
 */
public final class BearerToken {
    private BearerToken() {
    }

    /** Returns {@code token} if it can be sent; {@code source} says where it came from (e.g. "--token"). */
    public static String check(String token, String source) {
        if (token == null || token.isEmpty()) {
            throw new InvalidArgument("the token " + source + " is empty", "give the token that `berth token new` printed");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c > 0x20 && c < 0x7f) {
                continue;
            }
            String what = c == '\n' || c == '\r' ? "a line break" : c == ' ' ? "a space" : c == '\t' ? "a tab"
                    : c < 0x20 || c == 0x7f ? "a control character (U+" + String.format("%04X", (int) c) + ")"
                    : "a non-ASCII character (U+" + String.format("%04X", (int) c) + ")";
            throw new InvalidArgument("the token " + source + " has " + what + " at character " + (i + 1)
                    + " of " + token.length(),
                    "copy the token without line breaks or spaces: it is one line of letters, digits, '-', '_' and '.'");
        }
        return token;
    }
}
