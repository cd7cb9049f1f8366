package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The one way Berth runs external tools: an argument array (never a shell), a timeout, both output
 * streams read concurrently, stderr kept for the error message. A tool that does not finish in time
 * is killed together with its descendants.
 */
public final class ProcessRunner {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ProcessRunner.class.getName());
    /** More output than this from the tools Berth runs means something is wrong; we do not parse half of it. */
    static final int MAX_STDOUT = 16 << 20;
    static final int MAX_STDERR = 64 << 10;
    /** How much of a tool's message goes into an error. */
    static final int MESSAGE_CHARS = 2000;
    /** How long to wait for a killed process to be reaped and for its pipes to drain. */
    private static final Duration REAP_WAIT = Duration.ofSeconds(5);
    /** Tools run with a fixed environment: the C locale keeps their messages and listings stable. */
    private static final Map<String, String> ENVIRONMENT =
            Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL", "C");

    /** What a finished tool left behind. */
    public record Result(int exitCode, String stdout, String stderr) {
        public Result {
            Objects.requireNonNull(stdout, "stdout");
            Objects.requireNonNull(stderr, "stderr");
        }
    }

    private final ToolLocator tools;

    /** Resolves tools in /usr/sbin, /sbin, /usr/bin, /bin (in that order). */
    public ProcessRunner() {
        this.tools = new ToolLocator(ToolLocator.SYSTEM_DIRS);
    }

    /** Runs {@code argv}; any exit code but 0 is a {@link BackendFailure}. */
    public Result run(List<String> argv, Duration timeout) {
        return execute(argv, timeout, null, Set.of(0));
    }

    /** Like {@link #run(List, Duration)}, feeding {@code stdin} to the tool. */
    public Result run(List<String> argv, Duration timeout, byte[] stdin) {
        return execute(argv, timeout, Objects.requireNonNull(stdin, "stdin"), Set.of(0));
    }

    /**
     * Runs {@code argv} and returns normally for every exit code in {@code okExitCodes}, for tools
     * whose exit code is an answer (blkid: 2 = nothing found).
     */
    public Result runAllowingExit(List<String> argv, Duration timeout, Set<Integer> okExitCodes) {
        if (okExitCodes.isEmpty()) {
            throw new IllegalArgumentException("no exit code allowed");
        }
        return execute(argv, timeout, null, Set.copyOf(okExitCodes));
    }

    /** Like {@link #runAllowingExit(List, Duration, Set)}, feeding {@code stdin} to the tool. */
    public Result runAllowingExit(List<String> argv, Duration timeout, byte[] stdin, Set<Integer> okExitCodes) {
        if (okExitCodes.isEmpty()) {
            throw new IllegalArgumentException("no exit code allowed");
        }
        return execute(argv, timeout, Objects.requireNonNull(stdin, "stdin"), Set.copyOf(okExitCodes));
    }

    /** The executable a tool name stands for; a clear {@link BackendFailure} if it is missing. */
    public Path resolve(String tool) {
        return tools.resolve(tool);
    }

    private Result execute(List<String> argv, Duration timeout, byte[] stdin, Set<Integer> ok) {
        checkArguments(argv);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a positive timeout is required: " + timeout);
        }
        String shown = CommandLine.render(argv);
        String name = toolName(argv.get(0));
        List<String> command = new ArrayList<>(argv);
        command.set(0, tools.resolve(argv.get(0)).toString());

        ProcessBuilder builder = new ProcessBuilder(command).directory(new File("/"));
        builder.environment().clear();
        builder.environment().putAll(ENVIRONMENT);
        if (stdin == null) {
            // A tool that unexpectedly asks a question reads end-of-file instead of hanging.
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process process;
        long started = System.nanoTime();
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BackendFailure("could not start " + name + ": " + e.getMessage(), "command: " + shown, e);
        }
        OutputCollector out = OutputCollector.start(process.getInputStream(), MAX_STDOUT, name + "-stdout");
        OutputCollector err = OutputCollector.start(process.getErrorStream(), MAX_STDERR, name + "-stderr");
        if (stdin != null) {
            feed(process, stdin, name);
        }

        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new BackendFailure(name + " was interrupted and killed", "command: " + shown, e);
        }
        if (!finished) {
            kill(process);
            String said = CommandLine.tail(err.text(), MESSAGE_CHARS);
            throw new BackendFailure(name + " timed out after " + describe(timeout) + " and was killed"
                    + (said.isEmpty() ? "" : ": " + said), "command: " + shown);
        }
        out.await(REAP_WAIT);
        err.await(REAP_WAIT);
        Result result = new Result(process.exitValue(), out.text(), err.text());
        // Commands a request runs are logged under its id (the formatter prints it), so that one
        // request's protocol line and the host work it caused can be found together.
        LOG.log(dev.berth.core.log.RequestIds.current().isPresent() ? java.util.logging.Level.INFO
                : java.util.logging.Level.FINE, () -> "ran " + shown + " (exit " + result.exitCode() + ", "
                + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms)");
        if (out.overflowed()) {
            throw new BackendFailure(name + " printed more than " + (MAX_STDOUT >> 20)
                    + " MiB; its output was not used", "command: " + shown);
        }
        if (!ok.contains(result.exitCode())) {
            throw failure(name, shown, result);
        }
        return result;
    }

    /** "losetup failed (exit 1): losetup: ...": the tool's own words, stderr first. */
    static BackendFailure failure(String name, String shown, Result result) {
        String said = CommandLine.tail(result.stderr(), MESSAGE_CHARS);
        if (said.isEmpty()) {
            said = CommandLine.tail(result.stdout(), MESSAGE_CHARS);
        }
        if (said.isEmpty()) {
            said = "(no output)";
        }
        return new BackendFailure(name + " failed (exit " + result.exitCode() + "): " + said, "command: " + shown);
    }

    private static void feed(Process process, byte[] stdin, String name) {
        Thread.ofVirtual().name(name + "-stdin").start(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin);
            } catch (IOException e) {
                // The tool closed its stdin early; its exit code and stderr tell what happened.
            }
        });
    }

    /**
     * Kills the tool and everything it started. Descendants are listed before the parent dies,
     * because afterwards they are re-parented and no longer reachable through it.
     */
    private static void kill(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(REAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void checkArguments(List<String> argv) {
        if (argv == null || argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        for (String arg : argv) {
            if (arg == null) {
                throw new IllegalArgumentException("null argument in " + argv);
            }
            if (arg.indexOf('\0') >= 0) {
                throw new InvalidArgument("an argument contains a NUL character", "remove it");
            }
        }
        if (argv.get(0).isEmpty() || argv.get(0).startsWith("-")) {
            throw new InvalidArgument("'" + argv.get(0) + "' is not a tool name", "name the tool first");
        }
    }

    private static String toolName(String tool) {
        int slash = tool.lastIndexOf('/');
        return slash >= 0 ? tool.substring(slash + 1) : tool;
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }
}
