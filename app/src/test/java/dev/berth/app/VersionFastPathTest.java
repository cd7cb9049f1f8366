package dev.berth.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.CliProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `berth version` skips picocli in main(); what it prints and returns must not differ from the parsed command. */
class VersionFastPathTest {
    @Test
    void theFastPathPrintsWhatTheVersionCommandPrints() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"version"}, new PrintWriter(out, true), new PrintWriter(err, true));
        CliProcess.Result fast = CliProcess.run(Map.of(), "version");
        assertEquals(code, fast.code(), fast.toString());
        assertEquals(out.toString(), fast.out(), fast.toString());
        assertEquals("", fast.err());
        assertTrue(fast.out().startsWith("berth " + Version.get() + " (Java "), fast.out());
    }

    @Test
    void versionWithMoreArgumentsStillGoesThroughTheParser() {
        CliProcess.Result r = CliProcess.run(Map.of(), "version", "--bogus");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--bogus"), r.toString());
        CliProcess.Result help = CliProcess.run(Map.of(), "version", "--help");
        assertEquals(0, help.code(), help.toString());
        assertTrue(help.out().contains("Usage: berth version"), help.toString());
    }
}
