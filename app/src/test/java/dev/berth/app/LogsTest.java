package dev.berth.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** What a client sends can never start a log line of its own or reach the terminal as a control sequence. */
class LogsTest {
    final Logs.OneLine formatter = new Logs.OneLine(Logs.FORMAT);

    String format(Level level, String message, Throwable thrown) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName("dev.berth.protocols.docker.DockerPluginApi");
        r.setInstant(Instant.parse("2030-01-01T12:00:00Z"));
        r.setThrown(thrown);
        return formatter.format(r);
    }

    @Test
    void controlCharactersInAMessageAreEscaped() {
        String forged = "docker: Create refused: volume name 'x\n2030-01-01T12:00:00.000 SEVERE dev.berth: pwned\r"
                + "\u001b[2Jgone\u0000\u007f\u0085\u2028\u202e' has characters that are not allowed";
        String line = format(Level.INFO, forged, null);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.endsWith(System.lineSeparator()));
        String body = line.stripTrailing();
        for (char c : body.toCharArray()) {
            assertFalse(Character.isISOControl(c) || c == '\u2028' || c == '\u202e', "raw control 0x" + Integer.toHexString(c));
        }
        assertTrue(body.contains("'x\\n2030-01-01T12:00:00.000 SEVERE dev.berth: pwned\\r\\u001b[2Jgone\\u0000\\u007f\\u0085"
                + "\\u2028\\u202e'"), body);
        assertTrue(body.contains(" INFO dev.berth.protocols.docker.DockerPluginApi: docker: Create refused"), body);
    }

    @Test
    void anExceptionKeepsItsStackButItsTextIsEscaped() {
        Exception e = new IllegalStateException("bad input 'a\nFORGED b'", new RuntimeException("cause\rFORGED"));
        String text = format(Level.SEVERE, "failed\nFORGED too", e);
        for (String line : text.split(System.lineSeparator())) {
            assertFalse(line.startsWith("FORGED"), "a forged line: " + text);
            assertFalse(line.contains("\r"), "a raw CR: " + text);
        }
        assertTrue(text.contains("failed\\nFORGED too"), text);
        assertTrue(text.contains("java.lang.IllegalStateException: bad input 'a\\nFORGED b'"), text);
        assertTrue(text.contains("\tat dev.berth.app.LogsTest."), "frames are kept: " + text);
        assertTrue(text.contains("Caused by: java.lang.RuntimeException: cause\\rFORGED"), text);
    }

    @Test
    void plainTextIsUnchanged() {
        assertEquals("volume db: 1G, ext4 — ok ünïcode", Logs.escape("volume db: 1G, ext4 — ok ünïcode"));
        assertEquals("a\\tb", Logs.escape("a\tb"));
        assertEquals("null", Logs.escape(null));
    }

    @Test
    void aLineWrittenForARequestCarriesItsIdAndOnlyThen() {
        String[] inside = new String[1];
        dev.berth.core.log.RequestIds.run("c-1a2b3c4d", () -> inside[0] = format(Level.INFO, "ran mkfs.ext4 /dev/loop3", null));
        assertTrue(inside[0].contains(": [c-1a2b3c4d] ran mkfs.ext4 /dev/loop3"), inside[0]);
        assertFalse(format(Level.INFO, "ran blkid", null).contains("["), "no id outside a request");
        String[] forged = new String[1];
        dev.berth.core.log.RequestIds.run("x\nFORGED", () -> forged[0] = format(Level.INFO, "m", null));
        assertEquals(1, forged[0].lines().count(), forged[0]);
    }
}
