package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** A long copy on stderr: a bar redrawn in place on a terminal, one line per change elsewhere. */
class CopyProgressTest {
    @Test
    void plainLinesOncePerChange() {
        StringWriter err = new StringWriter();
        CopyProgress p = new CopyProgress(new PrintWriter(err), false);
        p.update(0, 1L << 30);
        p.update(512L << 20, 1L << 30);
        p.update(512L << 20, 1L << 30); // the same report polled again: no new line
        p.update(3L << 20, 0);
        p.finish();
        assertEquals("copied 0 B of 1.0 GiB\ncopied 512.0 MiB of 1.0 GiB\ncopied 3.0 MiB\n", err.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void aBarOnATerminalEndsItsLineAtTheEnd() {
        StringWriter err = new StringWriter();
        CopyProgress p = new CopyProgress(new PrintWriter(err), true);
        p.update(256L << 20, 1L << 30);
        p.update(1L << 30, 1L << 30);
        p.finish();
        assertEquals("\rcopying [#######                       ] 25% 256.0 MiB of 1.0 GiB  "
                + "\rcopying [##############################] 100% 1.0 GiB of 1.0 GiB  \n", err.toString().replace(System.lineSeparator(), "\n"));
    }
}
