package dev.berth.app.testing;

import dev.berth.app.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the real CLI in-process against a config file and captures what it prints. */
public final class Cli {
    private final Path config;

    public Cli(Path config) {
        this.config = config;
    }

    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    /** Inserts --config after the sub-command words (e.g. "volume ls"). */
    public Result run(String... args) {
        List<String> argv = new ArrayList<>(List.of(args));
        int at = argv.size() >= 2 && List.of("volume", "service", "snapshot").contains(argv.get(0)) ? 2 : 1;
        argv.add(Math.min(at, argv.size()), "--config");
        argv.add(Math.min(at + 1, argv.size()), config.toString());
        return raw(argv.toArray(String[]::new));
    }

    public static Result raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }
}
