package dev.berth.app.testing;

import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The multi-host harness {@code e2e/hosts/hosts} from Java: container hosts hA, hB, hC (each a
 * network namespace, a mount namespace, cgroups, its own Berth agent and dockerd), 3 etcd members
 * and 2 controllers, in a folder of its own with its own names (prefix, bridge subnet), so that it
 * cannot meet the default dockerd or another harness. Every verb is the script's, run through
 * {@link ProcessRunner} (argument arrays, a timeout each); {@link #close} takes everything down,
 * also after a failed test or a half-done {@link #up}.
 */
public final class MultiHost implements AutoCloseable {
    public static final List<String> HOSTS = List.of("hA", "hB", "hC");
    private static final Duration VERB_TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern LOOP_ENTRY = Pattern.compile(
            "\\{[^{}]*\"device\"\\s*:\\s*\"([^\"]+)\"[^{}]*\"file\"\\s*:\\s*\"([^\"]+)\"[^{}]*}");
    private final ProcessRunner runner = new ProcessRunner();
    private final Path script;
    public final Path dir;
    /** The harness's names: netns, links and cgroups are {@code prefix-hA}, … */
    public final String prefix;
    private final Thread hook;
    private volatile boolean closed;

    private MultiHost(Path script, Path dir, String prefix) {
        this.script = script;
        this.dir = dir;
        this.prefix = prefix;
        // A test JVM that is stopped (Ctrl-C, surefire's timeout) still takes the hosts down.
        this.hook = new Thread(() -> {
            if (!closed) {
                try {
                    runner.run(argv(List.of(), "down"), VERB_TIMEOUT);
                } catch (RuntimeException ignored) {
                    // best effort at exit; `hosts down` again clears what is left
                }
            }
        }, "multihost-down " + dir);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** {@code e2e/hosts/hosts} of this checkout (tests run in a module folder). */
    public static Path script() {
        Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (; d != null; d = d.getParent()) {
            Path s = d.resolve("e2e/hosts/hosts");
            if (Files.isExecutable(s)) {
                return s;
            }
        }
        throw new IllegalStateException("e2e/hosts/hosts not found above " + System.getProperty("user.dir"));
    }

    /**
     * Brings the harness up in {@code dir} (must not exist yet or be empty).
     *
     * @param prefix   names of its netns, links and cgroups ({@code prefix-hA}, …; 1-5 of [a-z0-9])
     * @param net      first three octets of its bridge's /24
     * @param ttl      the controllers' leaseTtl, e.g. "2s"
     * @param extra    more options for {@code up}, e.g. {@code --agent-set KEY=VALUE}
     */
    public static MultiHost up(Path dir, String prefix, String net, String ttl, String... extra) {
        MultiHost mh = new MultiHost(script(), dir, prefix);
        List<String> opts = new ArrayList<>(List.of("--prefix", prefix, "--net", net, "--ttl", ttl));
        opts.addAll(List.of(extra));
        try {
            mh.run(opts, "up");
            return mh;
        } catch (RuntimeException | Error e) {
            mh.closeQuietly(e);
            throw e;
        }
    }

    /** Runs a verb; fails with the script's own words unless it exits 0. */
    public ProcessRunner.Result verb(String... args) {
        return run(List.of(), args);
    }

    /** Runs a verb and returns its result whatever the exit code. */
    public ProcessRunner.Result attempt(Duration timeout, String... args) {
        return runner.runAllowingExit(argv(List.of(), args), timeout, anyExit());
    }

    private ProcessRunner.Result run(List<String> opts, String... args) {
        return runner.run(argv(opts, args), VERB_TIMEOUT);
    }

    private List<String> argv(List<String> opts, String... args) {
        List<String> argv = new ArrayList<>(List.of(script.toString(), "--dir", dir.toString()));
        argv.addAll(opts);
        argv.addAll(List.of(args));
        return argv;
    }

    public void killHost(String x) { verb("kill-host", x); }
    public void startHost(String x) { verb("start-host", x); }
    public void cut(String x) { verb("cut", x); }
    public void heal(String x) { verb("heal", x); }
    public void killAgent(String x) { verb("kill-agent", x); }
    public void startAgent(String x) { verb("start-agent", x); }
    public void stopEtcd(int i) { verb("stop-etcd", Integer.toString(i)); }
    public void startEtcd(int i) { verb("start-etcd", Integer.toString(i)); }
    public void killController(int i) { verb("kill-controller", Integer.toString(i)); }
    public void startController(int i) { verb("start-controller", Integer.toString(i)); }

    public String status() {
        return verb("status").stdout();
    }

    /** Host {@code x}'s docker CLI; any exit code is returned. */
    public ProcessRunner.Result docker(String x, Duration timeout, String... args) {
        return attempt(timeout, concat(new String[] {"docker", x}, args));
    }

    /** The berth CLI on host {@code x}'s agent socket; any exit code is returned. */
    public ProcessRunner.Result berth(String x, String... args) {
        return attempt(Duration.ofMinutes(1), concat(new String[] {"berth", x}, args));
    }

    /** The berth CLI against the controllers, as admin; any exit code is returned. */
    public ProcessRunner.Result admin(String... args) {
        return attempt(Duration.ofMinutes(1), concat(new String[] {"admin"}, args));
    }

    /** Berth's node id of host {@code x}: hA is host-a. */
    public static String node(String x) {
        return "host-" + Character.toLowerCase(x.charAt(1));
    }

    public Path stateDir(String x) {
        return dir.resolve(x).resolve("state");
    }

    public Path mountRoot(String x) {
        return dir.resolve(x).resolve("volumes");
    }

    /** Everything host {@code x}'s agents logged, restarts included. */
    public String agentLog(String x) throws IOException {
        Path log = dir.resolve("logs").resolve(x + "-agent.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The pid holding host {@code x}'s namespaces, if the host is up. */
    public Optional<Long> holder(String x) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve("pids").resolve(x + "-holder.pid")).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Mount points under host {@code x}'s mount root, as its mount namespace sees them (empty when it is down). */
    public List<String> mountsOf(String x) {
        Optional<Long> h = holder(x);
        if (h.isEmpty()) {
            return List.of();
        }
        String root = mountRoot(x) + "/";
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc", h.get().toString(), "mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    String target = f[4].replace("\\040", " ");
                    if (target.startsWith(root)) {
                        out.add(target);
                    }
                }
            }
            return out;
        } catch (IOException e) {
            return List.of(); // the host died meanwhile
        }
    }

    /**
     * Every mount of {@code image} (through a loop device bound to it) in any mount namespace of a
     * process of host {@code x}, containers included (runc gives each container its own mount
     * namespace, which the holder's mount table does not show): "pid P: TARGET (/dev/loopN)".
     */
    public List<String> imageMountsOf(String x, String image) {
        List<String> out = new ArrayList<>();
        Set<String> seenNamespaces = new java.util.HashSet<>();
        Path cg = Path.of("/sys/fs/cgroup/pids", prefix + "-" + x);
        if (!Files.isDirectory(cg)) {
            return out;
        }
        List<String> pids = new ArrayList<>();
        try (var walk = Files.walk(cg)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                pids.addAll(Files.readAllLines(procs));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return out; // the host died meanwhile
        }
        for (String pid : pids) {
            try {
                String ns = Files.readSymbolicLink(Path.of("/proc", pid, "ns/mnt")).toString();
                if (!seenNamespaces.add(ns)) {
                    continue;
                }
                for (String line : Files.readAllLines(Path.of("/proc", pid, "mountinfo"))) {
                    int dash = line.indexOf(" - ");
                    String[] f = line.split(" ");
                    String[] tail = dash < 0 ? new String[0] : line.substring(dash + 3).split(" ");
                    if (f.length > 4 && tail.length > 1 && tail[1].startsWith("/dev/loop")) {
                        Path backing = Path.of("/sys/block", tail[1].substring("/dev/".length()), "loop/backing_file");
                        if (Files.exists(backing) && Files.readString(backing).strip().equals(image)) {
                            out.add("pid " + pid + ": " + f[4].replace("\\040", " ") + " (" + tail[1] + ")");
                        }
                    }
                }
            } catch (IOException e) {
                // that process is gone
            }
        }
        return out;
    }

    /** Image files in host {@code x}'s loop record ({@code <stateDir>/loop-devices.json}), by device. */
    public List<String> recordedLoopFiles(String x) throws IOException {
        Path rec = stateDir(x).resolve("loop-devices.json");
        if (!Files.exists(rec)) {
            return List.of();
        }
        List<String> files = new ArrayList<>();
        Matcher m = LOOP_ENTRY.matcher(Files.readString(rec));
        while (m.find()) {
            files.add(m.group(1) + "=" + m.group(2));
        }
        return files;
    }

    /** Files in host {@code x}'s state folder whose name says grant and whose text names {@code what}. */
    public List<Path> grantFilesNaming(String x, String... what) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(stateDir(x))) {
            return out;
        }
        try (var files = Files.walk(stateDir(x), 3)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().contains("grant")).toList()) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                for (String w : what) {
                    if (text.contains("\"" + w + "\"")) {
                        out.add(f);
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private void closeQuietly(Throwable cause) {
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** {@code down}: processes, namespaces, cgroups, mounts, the harness's loop devices, its folder. */
    @Override
    public void close() {
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // the JVM is shutting down already
        }
        runner.run(argv(List.of(), "down"), VERB_TIMEOUT);
    }

    /** Exit codes 0-255: for verbs whose failure is an answer. */
    static Set<Integer> anyExit() {
        return IntStream.range(0, 256).boxed().collect(java.util.stream.Collectors.toSet());
    }
}
