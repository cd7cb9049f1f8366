package dev.berth.csi.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every java.util.logging record written while open, at the given level and above, from every
 * logger (a handler on the root logger, whose level is lowered for the time).
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger root = Logger.getLogger("");
    private final Level previous;
    private final SimpleFormatter formatter = new SimpleFormatter();
    private final List<LogRecord> records = new ArrayList<>();

    public LogCapture(Level level) {
        previous = root.getLevel();
        setLevel(level);
        root.setLevel(level);
        root.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        if (isLoggable(record)) {
            records.add(record);
        }
    }

    public synchronized List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** Each record as SimpleFormatter writes it (message with parameters, and the stack trace). */
    public synchronized List<String> lines() {
        return records.stream().map(formatter::format).toList();
    }

    public synchronized String text() {
        return String.join("", lines());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
        root.setLevel(previous);
    }
}
