package dev.berth.core.log;

/**
 * Text from the outside (a volume name with a newline, an ESC sequence in a request path, a value
 * from the wire) made safe for one log line: control characters, the Unicode line and paragraph
 * separators and the bidirectional overrides (which can make a line read differently than it is)
 * are escaped, so nothing a client sends can start a log line of its own or drive the terminal.
 */
public final class LogText {
    private LogText() {
    }

    /** {@code \n}, {@code \r}, {@code \t} as such, the other controls as {@code \}{@code uXXXX}. */
    public static String escape(String text) {
        return escape(text, false);
    }

    /** As {@link #escape(String)}, and also {@code \} and {@code "}: for a value written in quotes. */
    public static String quoted(String text) {
        return escape(text, true);
    }

    private static String escape(String text, boolean quoted) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String esc = escapeOf(c, quoted);
            if (esc != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (esc != null) {
                    out.append(esc);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }

    private static String escapeOf(char c, boolean quoted) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\\' -> quoted ? "\\\\" : null;
            case '"' -> quoted ? "\\\"" : null;
            default -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
                    || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                    ? String.format("\\u%04x", (int) c) : null;
        };
    }
}
