package dev.berth.host;

import java.util.List;
import java.util.stream.Collectors;

/** Renders an argument array for error messages, quoting what a reader could misread. */
final class CommandLine {
    private CommandLine() {
    }

    static String render(List<String> argv) {
        return argv.stream().map(CommandLine::quote).collect(Collectors.joining(" "));
    }

    private static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().allMatch(c -> c > ' ' && c != '\'' && c != '"' && c != '\\' && c < 0x7f)) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    /** The last {@code max} characters of a tool's message, stripped; errors are usually at the end. */
    static String tail(String text, int max) {
        String t = text.strip();
        return t.length() <= max ? t : "…" + t.substring(t.length() - max);
    }
}
