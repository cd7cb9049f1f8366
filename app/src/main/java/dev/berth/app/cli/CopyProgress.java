package dev.berth.app.cli;

import dev.berth.core.model.Size;
import dev.berth.core.spi.Progress;
import java.io.PrintWriter;

/**
 * How a long copy shows on the CLI's stderr (stdout stays the command's answer): a bar redrawn in
 * place on a terminal, one "copied X of Y" line per change otherwise (a log, a pipe). Fed from the
 * task's progress, which the server updates about once a second.
 */
final class CopyProgress implements Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final boolean terminal;
    private long shown = -1;
    private boolean drawn;

    CopyProgress(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** On the process's own terminal when there is one ({@link System#console()}). */
    static CopyProgress forThisProcess(PrintWriter err) {
        return new CopyProgress(err, System.console() != null);
    }

    @Override
    public synchronized void update(long done, long total) {
        if (done == shown) {
            return;
        }
        shown = done;
        String amount = total > 0 ? Size.human(done) + " of " + Size.human(total) : Size.human(done);
        if (terminal) {
            int percent = total > 0 ? (int) Math.min(100, done * 100 / total) : 0;
            int filled = percent * WIDTH / 100;
            err.print("\rcopying [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "% " + amount + "  ");
            drawn = true;
        } else {
            err.println("copied " + amount);
        }
        err.flush();
    }

    /** Ends the bar's line, so what follows starts on its own line. */
    synchronized void finish() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }
}
