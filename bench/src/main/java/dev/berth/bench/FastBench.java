package dev.berth.bench;

import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.rest.RestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code bench/run fast}: the benchmark table of issue 8 in one run. Berth is what users run: a
 * separate {@code bin/berth serve} process on its own temporary config, folders and sockets, and
 * {@code bin/berth} as one process per CLI call. Every baseline is the raw tool started by bash, and
 * bash times Berth's CLI calls and the baselines alike (bench/sh/timed.sh, EPOCHREALTIME; the bash
 * start itself is outside the clock). Berth's and the baseline's runs alternate (A B A B), after a
 * few unmeasured warm-up rounds. Mount rows go through the Docker plugin socket, as dockerd calls
 * it, from one kept-alive client in this JVM; the REST list from a warm REST client in this JVM.
 *
 * <p>Args: {@code [iterations=30] [--profile] [--warm N=3] [--scale F=1]}. {@code --profile}
 * records the serving daemon with JFR (files in bench/target/profile-*); {@code --warm} sets the
 * unmeasured rounds before each row, {@code --scale} multiplies the volume counts (both for the
 * smoke test). Needs root.
 */
public final class FastBench {
    /** The row keys, in table order; the smoke test checks that each is there. */
    static final List<String> KEYS = List.of("version", "ls", "inspect", "rest-list", "first-mount", "re-mount",
            "unmount", "serve-ready", "idle-rss");
    private static final String SIZE = "1G";
    /** The volumes that fill the store: small, so that 10,000 fit the pool's over-commit on any disk. */
    private static final String FILL_SIZE = "64M";

    record Options(int iterations, boolean profile, double scale, int warm) {
        Options {
            if (iterations < 1 || warm < 0) {
                throw new IllegalArgumentException("iterations must be at least 1, warm-up rounds at least 0");
            }
            if (!(scale > 0 && scale <= 1)) {
                throw new IllegalArgumentException("scale must be in (0, 1]");
            }
        }

        static Options parse(String[] args) {
            int iterations = 30;
            boolean profile = false;
            double scale = 1;
            int warm = 3;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--profile" -> profile = true;
                    case "--scale" -> scale = Double.parseDouble(args[++i]);
                    case "--warm" -> warm = Integer.parseInt(args[++i]);
                    default -> iterations = Integer.parseInt(args[i].replace("iterations=", ""));
                }
            }
            return new Options(iterations, profile, scale, warm);
        }

        int volumes(int n) {
            return Math.max(1, (int) Math.round(n * scale));
        }
    }

    private final Options opt;
    private final Launcher berth;
    private final Path dir;
    private final Path profileDir;
    private final ResultTable table = new ResultTable(KEYS);
    private final Random rnd = new Random(42);
    private int populated;

    FastBench(Options opt, Launcher berth, Path dir) throws IOException {
        this.opt = opt;
        this.berth = berth;
        this.dir = dir;
        this.profileDir = opt.profile() ? Files.createDirectories(berth.home().resolve("bench/target/profile-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))) : null;
    }

    public static void main(String[] args) throws Exception {
        Options opt = Options.parse(args);
        ResultTable t = run(opt, Launcher.ofThisCheckout());
        System.out.print(t.render());
    }

    /** Runs the whole benchmark in a fresh folder below /var/tmp, removed afterwards. */
    static ResultTable run(Options opt, Launcher berth) throws Exception {
        return Leftovers.inFreshFolder("berth-fast-", dir -> new FastBench(opt, berth, dir).run());
    }

    private ResultTable run() throws Exception {
        System.err.printf("bench: %d iterations, %d cores, JDK %s, load %s; berth: %s%n", opt.iterations(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), loadAverage(), berth.berth());
        Path main = Files.createDirectories(dir.resolve("main"));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        writeConfig(main);
        writeConfig(empty);
        versionRow();
        int small = opt.volumes(100);
        int medium = opt.volumes(1_000);
        int large = opt.volumes(10_000);
        try (Serve serve = serve(main, "main-1"); PluginClient plugin = PluginClient.connect(main.resolve("docker.sock"))) {
            populate(plugin, small);
            mountRows(plugin, main);
            lsRow(main, small);
            populate(plugin, medium);
        }
        rssRow(main, empty, medium);
        try (Serve serve = serve(main, "main-2"); PluginClient plugin = PluginClient.connect(main.resolve("docker.sock"));
             RestClient api = RestClient.unix(main.resolve("berth.sock"))) {
            populate(plugin, large);
            inspectRow(main, large);
            restListRow(main, api, large);
        }
        serveRow(main, large);
        if (profileDir != null) {
            System.err.println("bench: JFR recordings in " + profileDir + "; e.g. `jfr view hot-methods FILE`, "
                    + "`jfr print --events jdk.ExecutionSample FILE`, `jfr summary FILE`");
        }
        return table;
    }

    // ---- rows -----------------------------------------------------------------------------

    private void versionRow() throws Exception {
        phase("versionRow");
        List<String> a = berth.berth("version");
        List<String> b = berth.java("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-version");
        long[][] s = alternate(opt.iterations(), () -> berth.timedRun(a), () -> berth.timedRun(b));
        table.add("version", "`berth version` wall (baseline: `java -version`, the JVM alone)",
                Stats.micros(s[0]), Stats.micros(s[1]), Target.p50(120));
    }

    private void lsRow(Path at, int volumes) throws Exception {
        phase("lsRow");
        String sock = at.resolve("berth.sock").toString();
        int listed = berth.runBerth("volume", "ls", "-q", "--socket", sock).strip().split("\n").length;
        if (listed != volumes) {
            throw new IllegalStateException("berth volume ls listed " + listed + " volumes, expected " + volumes);
        }
        List<String> a = berth.berth("volume", "ls", "--socket", sock);
        List<String> b = curl(at, "/v1/volumes");
        long[][] s = alternate(opt.iterations(), () -> berth.timedRun(a), () -> berth.timedRun(b));
        table.add("ls", "`berth volume ls`, " + String.format("%,d", volumes) + " volumes, daemon running "
                + "(baseline: curl of the same REST call)", Stats.micros(s[0]), Stats.micros(s[1]), Target.p50(150));
    }

    private void inspectRow(Path at, int volumes) throws Exception {
        phase("inspectRow");
        String sock = at.resolve("berth.sock").toString();
        String[] name = new String[1];
        long[][] s = alternate(opt.iterations(), () -> {
            name[0] = volume(rnd.nextInt(volumes));
            return berth.timedRun(berth.berth("volume", "inspect", name[0], "--socket", sock));
        }, () -> berth.timedRun(curl(at, "/v1/volumes/" + name[0])));
        table.add("inspect", "`berth volume inspect NAME`, " + String.format("%,d", volumes) + " volumes "
                + "(baseline: curl of the same REST call)", Stats.micros(s[0]), Stats.micros(s[1]), Target.p50(150));
    }

    private void restListRow(Path at, RestClient api, int volumes) throws Exception {
        phase("restListRow");
        RestClient.Response first = api.call(RestClient.Method.GET, "/v1/volumes", null);
        if (first.status() != 200) {
            throw new IllegalStateException("GET /v1/volumes answered " + first.status() + ": " + Proc.tail(first.body()));
        }
        List<String> b = curl(at, "/v1/volumes");
        int n = Math.max(30, opt.iterations() * 3);
        long[][] s = alternate(n, () -> {
            long t0 = System.nanoTime();
            RestClient.Response r = api.call(RestClient.Method.GET, "/v1/volumes", null);
            long took = (System.nanoTime() - t0) / 1000;
            if (r.status() != 200) {
                throw new IllegalStateException("GET /v1/volumes answered " + r.status());
            }
            return took;
        }, () -> berth.timedRun(b));
        table.add("rest-list", "REST list of " + String.format("%,d", volumes) + " volumes, warm client in the "
                + "bench JVM (baseline: curl from bash)", Stats.micros(s[0]), Stats.micros(s[1]), Target.p99(50));
    }

    /**
     * First mount (Create + Mount of a fresh 1G volume: the image, attach, mkfs.ext4, mount), last
     * Unmount (umount + detach), and re-mount of the now formatted volume, through the plugin
     * socket; against the raw sequence from bash, which creates its image with truncate.
     */
    private void mountRows(PluginClient plugin, Path at) throws Exception {
        phase("mountRows");
        Path raw = Files.createDirectories(dir.resolve("raw"));
        Path rawMount = Files.createDirectories(raw.resolve("mnt"));
        int n = opt.iterations();
        long[] first = new long[n];
        long[] remount = new long[n];
        long[] unmount = new long[2 * n];
        long[] rawFirst = new long[n];
        long[] rawRemount = new long[n];
        long[] rawUnmount = new long[2 * n];
        int warm = Math.max(1, opt.warm()); // the first mount of a fresh daemon loads its classes
        for (int i = -warm; i < n; i++) {
            long[] r = berth.timed(List.of("loop-cycle", raw.resolve("raw.img").toString(), rawMount.toString(), SIZE));
            String name = "cycle-" + (i + warm);
            String ids = "{\"Name\":\"" + name + "\",\"ID\":\"" + String.format("%064x", i + warm) + "\"}";
            long t0 = System.nanoTime();
            ok(plugin.call("/VolumeDriver.Create", "{\"Name\":\"" + name + "\",\"Opts\":{\"size\":\"" + SIZE + "\"}}"));
            ok(plugin.call("/VolumeDriver.Mount", ids));
            long t1 = System.nanoTime();
            ok(plugin.call("/VolumeDriver.Unmount", ids));
            long t2 = System.nanoTime();
            ok(plugin.call("/VolumeDriver.Mount", ids));
            long t3 = System.nanoTime();
            ok(plugin.call("/VolumeDriver.Unmount", ids));
            long t4 = System.nanoTime();
            ok(plugin.call("/VolumeDriver.Remove", "{\"Name\":\"" + name + "\"}"));
            if (i >= 0) {
                first[i] = (t1 - t0) / 1000;
                unmount[2 * i] = (t2 - t1) / 1000;
                remount[i] = (t3 - t2) / 1000;
                unmount[2 * i + 1] = (t4 - t3) / 1000;
                rawFirst[i] = r[0];
                rawUnmount[2 * i] = r[1];
                rawRemount[i] = r[2];
                rawUnmount[2 * i + 1] = r[3];
            }
        }
        table.add("first-mount", "first mount 1 GiB ext4: plugin Create + Mount (baseline: bash `truncate; losetup -f "
                + "--show; mkfs.ext4 -q; mount -t ext4`)", Stats.micros(first), Stats.micros(rawFirst), Target.ratio(0.8));
        table.add("re-mount", "re-mount: plugin Mount (baseline: bash `losetup -f --show; mount -t ext4`)",
                Stats.micros(remount), Stats.micros(rawRemount), Target.ratio(0.5));
        table.add("unmount", "unmount + detach: plugin Unmount (baseline: bash `umount; losetup -d`)",
                Stats.micros(unmount), Stats.micros(rawUnmount), Target.ratio(0.5));
    }

    /** Start to Activate answered, with the big store; baseline: bin/berth version (the launcher + JVM + jar floor). */
    private void serveRow(Path at, int volumes) throws Exception {
        phase("serveRow");
        if (profileDir != null) {
            try (Serve s = serve(at, "serve-start")) {
                System.err.printf("bench: profiled start (not measured): %.0f ms%n", s.readyNanos() / 1e6);
            }
        }
        long[][] s = alternate(opt.iterations(), () -> {
            try (Serve serve = Serve.start(berth, config(at), at.resolve("docker.sock"), at.resolve("serve.log"), "")) {
                return serve.readyNanos() / 1000;
            }
        }, () -> berth.timedRun(berth.berth("version")));
        table.add("serve-ready", "`berth serve` -> Docker socket answers Plugin.Activate, " + String.format("%,d", volumes)
                + " volumes (baseline: `berth version` wall)", Stats.micros(s[0]), Stats.micros(s[1]), Target.p50(1000));
    }

    /** A fresh daemon's resident set once idle (started, 2 s later), against one with an empty store. */
    private void rssRow(Path at, Path empty, int volumes) throws Exception {
        phase("rssRow");
        int n = Math.min(opt.iterations(), 5);
        long[] rss = new long[n];
        long[] base = new long[n];
        for (int i = 0; i < n; i++) {
            base[i] = idleRss(empty);
            rss[i] = idleRss(at);
        }
        table.add("idle-rss", "idle daemon RSS, " + String.format("%,d", volumes) + " volumes, 2 s after Activate "
                + "(baseline: the same, empty store)", Stats.bytes(rss), Stats.bytes(base), Target.p50(100));
    }

    private long idleRss(Path at) throws Exception {
        try (Serve serve = Serve.start(berth, config(at), at.resolve("docker.sock"), at.resolve("serve.log"), "")) {
            Thread.sleep(2000);
            return serve.rssBytes();
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private static void phase(String what) {
        System.err.printf("bench: %tT %s%n", System.currentTimeMillis(), what);
    }

    interface Sample {
        long take() throws Exception;
    }

    /** {@code --warm} unmeasured rounds, then {@code n} rounds of A then B; returns {A samples, B samples}. */
    private long[][] alternate(int n, Sample a, Sample b) throws Exception {
        long[][] s = new long[2][n];
        for (int i = -opt.warm(); i < n; i++) {
            long x = a.take();
            long y = b.take();
            if (i >= 0) {
                s[0][i] = x;
                s[1][i] = y;
            }
        }
        return s;
    }

    private Serve serve(Path at, String name) throws Exception {
        String opts = profileDir == null ? "" : "-XX:StartFlightRecording=filename=" + profileDir.resolve(name + ".jfr")
                + ",settings=profile,jdk.ExecutionSample#period=1ms";
        return Serve.start(berth, config(at), at.resolve("docker.sock"), at.resolve("serve.log"), opts);
    }

    private void populate(PluginClient plugin, int upTo) {
        long t0 = System.nanoTime();
        int from = populated;
        for (; populated < upTo; populated++) {
            ok(plugin.call("/VolumeDriver.Create", "{\"Name\":\"" + volume(populated) + "\",\"Opts\":{\"size\":\"" + FILL_SIZE
                    + "\"}}"));
        }
        System.err.printf("bench: %,d volumes in the store (%,d added in %.1f s)%n", upTo, upTo - from,
                (System.nanoTime() - t0) / 1e9);
    }

    private static List<String> curl(Path at, String uri) {
        return new ArrayList<>(List.of("curl", "-sSf", "--unix-socket", at.resolve("berth.sock").toString(), "-o",
                "/dev/null", "http://localhost" + uri));
    }

    private static Path config(Path at) {
        return at.resolve("config.yml");
    }

    private static void writeConfig(Path at) throws IOException {
        Files.writeString(config(at), """
                node: bench
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker: {enabled: true, socket: %1$s/docker.sock}
                services:
                  local: {driver: loop, options: {pool: %1$s/pool, overcommit: 100}}
                """.formatted(at));
    }

    private static void ok(PluginClient.Reply r) {
        if (r.status() != 200 || !r.err().isEmpty()) {
            throw new IllegalStateException("plugin call failed: " + r.status() + " " + r.body());
        }
    }

    private static String volume(int i) {
        return String.format("many-%05d", i);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

}
