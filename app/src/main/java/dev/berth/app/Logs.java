package dev.berth.app;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

/**
 * One-line log records on stderr; Netty's chatty loggers are kept at warnings. Control characters
 * in a message (a volume name with a newline, an ESC sequence in a request path) are written as
 * escapes, so that nothing a client sends can start a log line of its own or drive the terminal.
 */
public final class Logs {
    static final String FORMAT = "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n";

    private Logs() {
    }

    static void configure() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", FORMAT);
        }
        LogManager.getLogManager().reset();
        var handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(Level.ALL);
        handler.setFormatter(new OneLine(System.getProperty("java.util.logging.SimpleFormatter.format")));
        var root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        java.util.logging.Logger.getLogger("io.netty").setLevel(Level.WARNING);
        java.util.logging.Logger.getLogger("io.vertx").setLevel(Level.WARNING);
    }

    /**
     * {@code text} with every control character escaped: {@code \n}, {@code \r}, {@code \t} as such,
     * other C0/C1 controls, DEL, the Unicode line and paragraph separators and the bidirectional
     * overrides (which can make a line read differently than it is) as {@code \}{@code uXXXX}.
     */
    public static String escape(String text) {
        return dev.berth.core.log.LogText.escape(text);
    }

    /**
     * SimpleFormatter's layout with {@link #escape}d messages. A stack trace keeps its lines, but
     * each exception's own text (which may quote a client's input) is escaped.
     */
    static final class OneLine extends Formatter {
        private final String format;

        OneLine(String format) {
            this.format = format == null ? FORMAT : format;
        }

        @Override
        public String format(LogRecord r) {
            ZonedDateTime when = ZonedDateTime.ofInstant(r.getInstant(), ZoneId.systemDefault());
            String source = r.getSourceClassName() == null ? r.getLoggerName()
                    : r.getSourceClassName() + (r.getSourceMethodName() == null ? "" : " " + r.getSourceMethodName());
            String thrown = "";
            if (r.getThrown() != null) {
                StringBuilder trace = new StringBuilder();
                trace(r.getThrown(), "", trace, Collections.newSetFromMap(new IdentityHashMap<>()));
                thrown = System.lineSeparator() + trace.toString().stripTrailing();
            }
            // The request this thread works for, if any (set by the CSI request log), on every line.
            String request = dev.berth.core.log.RequestIds.current().map(id -> "[" + escape(id) + "] ").orElse("");
            return String.format(format, when, escape(source), escape(r.getLoggerName()), r.getLevel().getLocalizedName(),
                    request + escape(formatMessage(r)), thrown);
        }

        private static void trace(Throwable t, String prefix, StringBuilder out, Set<Throwable> seen) {
            if (!seen.add(t)) {
                out.append(prefix).append("[circular reference: ").append(escape(t.toString())).append("]\n");
                return;
            }
            out.append(prefix).append(escape(t.toString())).append('\n');
            for (StackTraceElement e : t.getStackTrace()) {
                out.append("\tat ").append(e).append('\n');
            }
            for (Throwable s : t.getSuppressed()) {
                trace(s, "Suppressed: ", out, seen);
            }
            if (t.getCause() != null) {
                trace(t.getCause(), "Caused by: ", out, seen);
            }
        }
    }
}
