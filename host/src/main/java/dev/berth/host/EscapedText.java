package dev.berth.host;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the escapes tools and the kernel use for bytes that would break a whitespace-separated
 * listing: {@code \x20} (util-linux "raw" output) and {@code \040} (/proc/self/mountinfo). Escapes
 * stand for bytes, so the result is decoded as UTF-8 only once every byte is known.
 */
final class EscapedText {
    private EscapedText() {
    }

    /** Decodes {@code \xHH}, as printed by losetup --raw (under LC_ALL=C every non-ASCII byte is escaped). */
    static String hex(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '\\' && i + 3 < text.length() && text.charAt(i + 1) == 'x'
                    && isHex(text.charAt(i + 2)) && isHex(text.charAt(i + 3))) {
                bytes.write(Integer.parseInt(text.substring(i + 2, i + 4), 16));
                i += 4;
            } else {
                i = copyCodePoint(text, i, bytes);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Decodes {@code \ooo} (three octal digits), as the kernel writes space, tab, newline and backslash. */
    static String octal(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '\\' && i + 3 < text.length()
                    && isOctal(text.charAt(i + 1)) && isOctal(text.charAt(i + 2)) && isOctal(text.charAt(i + 3))) {
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 4), 8) & 0xff);
                i += 4;
            } else {
                i = copyCodePoint(text, i, bytes);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int copyCodePoint(String text, int i, ByteArrayOutputStream bytes) {
        int cp = text.codePointAt(i);
        bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        return i + Character.charCount(cp);
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isOctal(char c) {
        return c >= '0' && c <= '7';
    }
}
