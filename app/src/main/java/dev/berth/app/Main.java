package dev.berth.app;

import dev.berth.app.cli.CommandTree;
import dev.berth.app.cli.ExitCodes;
import dev.berth.app.cli.VersionCommand;
import dev.berth.core.error.BerthException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** Entry point of the berth binary: parses the command line and maps errors to exit codes. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("version")) {
            // The one command scripts run to see that Berth is there: it needs no option parsing, and
            // picocli's model (annotation proxies, 170 classes picocli ships as Java 5 class files,
            // which the AOT cache cannot hold) is most of its time: measured 0.43 s -> see benchmarks.md.
            System.out.println(Version.line());
            System.exit(ExitCodes.OK);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = CommandTree.of(args);
        cl.setOut(out).setErr(err);
        // Logging is set up only for a command that does something: version and help print and exit.
        cl.setExecutionStrategy(parsed -> {
            if (needsLogs(parsed)) {
                Logs.configure();
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof BerthException be) {
                err.println("error: " + be.getMessage());
                if (!be.hint().isEmpty()) {
                    err.println("hint: " + be.hint());
                }
                err.flush();
                return ExitCodes.of(be);
            }
            // Anything else is a bug: one line, not a stack trace, unless asked for (or serving, where
            // the trace goes to the daemon's log for the report).
            err.println("error: unexpected " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage())));
            err.println("hint: this is a bug in Berth; please report it with the command line"
                    + (System.getenv("BERTH_DEBUG") == null ? " and the stack trace (shown with BERTH_DEBUG=1)" : ""));
            if (System.getenv("BERTH_DEBUG") != null || "serve".equals(cmd.getCommandName())) {
                e.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.FAILURE;
        });
        return cl.execute(args);
    }

    /** False for help, version and a command that only groups others (it prints its usage). */
    static boolean needsLogs(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult p = parsed;
        while (true) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return false;
            }
            if (p.subcommand() == null) {
                Object command = p.commandSpec().userObject();
                return command instanceof Callable<?> && !(command instanceof VersionCommand);
            }
            p = p.subcommand();
        }
    }

    private static String oneLine(String text) {
        StringBuilder b = new StringBuilder();
        text.chars().forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : String.valueOf((char) c)));
        return b.toString();
    }
}
