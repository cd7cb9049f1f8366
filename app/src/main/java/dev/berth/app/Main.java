package dev.berth.app;

import dev.berth.app.cli.BerthCommand;
import dev.berth.app.cli.ExitCodes;
import dev.berth.core.error.BerthException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point of the berth binary: parses the command line and maps errors to exit codes. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Logs.configure();
        CommandLine cl = new CommandLine(new BerthCommand());
        cl.setOut(out).setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof BerthException be) {
                err.println("error: " + be.getMessage());
                if (!be.hint().isEmpty()) {
                    err.println("hint: " + be.hint());
                }
                err.flush();
                return ExitCodes.of(be);
            }
            throw e;
        });
        return cl.execute(args);
    }
}
