package dev.berth.protocols.http;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects log records of the whole JVM (INFO and up) and Berth's own down to FINE, for assertions on levels. */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<LogRecord> records = new ArrayList<>();
    private final Logger root = Logger.getLogger("");
    private final Logger berth = Logger.getLogger("dev.berth");
    private final Level berthLevel;

    public LogCapture() {
        setLevel(Level.ALL);
        berthLevel = berth.getLevel();
        berth.setLevel(Level.FINE);
        root.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        records.add(r);
    }

    /** Records at {@code level} or above, as "LEVEL logger: message" lines. */
    public synchronized List<String> atLeast(Level level) {
        return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue())
                .map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " [" + r.getThrown() + "]"))
                .toList();
    }

    /** Records of exactly {@code level} whose message contains {@code text}. */
    public synchronized List<String> at(Level level, String text) {
        return records.stream().filter(r -> r.getLevel().equals(level))
                .map(r -> new java.util.logging.SimpleFormatter().formatMessage(r))
                .filter(m -> m.contains(text)).toList();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
        berth.setLevel(berthLevel);
    }
}
