package dev.berth.bench;

import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.RestClient.Method;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run snapshot [--runs N=5] [--warm N=1] [--size 1G] [--data 512M] [--raw-only]}:
 * issue 12's benchmark. Two pools made by the benchmark on loop files ({@link LoopPools}): xfs
 * (reflink) and ext4 (copy), one loop service on each in a real all-in-one {@code bin/berth serve}.
 * On each pool a volume of {@code --size}, mounted, with {@code --data} of random bytes written and
 * fsynced; then N snapshots through the REST API on the unix socket (a warm client in this JVM,
 * as the CLI sends them, without the CLI's JVM start), then N online expansions (+64 MiB each) of
 * two mounted volumes on the ext4 pool, one ext4 (resize2fs) and one xfs (xfs_growfs).
 *
 * <p>Baseline, in the same run and interleaved (Berth's run i, then the raw run i): an equivalent
 * ext4 image of the same size with the same bytes, attached and mounted on the same pool, copied
 * by bash with {@code cp --reflink=always} (xfs) or {@code cp --sparse=always} (ext4), and again
 * as Berth does it (frozen, copied, fsynced, thawed), each copy removed after timing; and grown with
 * {@code truncate -s +64M; losetup -c; resize2fs} or {@code xfs_growfs -d}. Caches are
 * not dropped (both sides copy warm data); {@code --warm} unmeasured rounds go first. Needs root.
 */
public final class SnapshotBench {
    /** The table's rows, in order; the smoke test checks each is there. */
    static final List<String> ROWS = List.of("snapshot, xfs pool (reflink)", "same, raw frozen + fsynced",
            "snapshot, ext4 pool (copy)", "same, raw frozen + fsynced (ext4)", "expand +64M, mounted ext4 volume",
            "expand +64M, mounted xfs volume");
    static final List<String> CALLS = List.of("POST /v1/snapshots", "POST /v1/snapshots", "POST /v1/snapshots",
            "POST /v1/snapshots", "POST /v1/volumes/{name}/expand", "POST /v1/volumes/{name}/expand");
    /** The raw side of each row; a snapshot row's second raw command is what Berth does, with the raw tools. */
    static final List<String> RAW = List.of("cp --reflink=always", "fsfreeze -f; cp --reflink=always; sync; fsfreeze -u",
            "cp --sparse=always", "fsfreeze -f; cp --sparse=always; sync; fsfreeze -u",
            "truncate -s +64M; losetup -c; resize2fs", "truncate -s +64M; losetup -c; xfs_growfs -d");
    private static final long MIB = 1024L * 1024;
    private static final long GROW = 64 * MIB;
    /** Berth's volumes: VOLUME-S on service S (snapshots, the ext4 expansion), GROW_XFS (the xfs one). */
    private static final String VOLUME = "bench";
    private static final String GROW_XFS = "grow-xfs";
    private static final String REF = "bench";

    record Options(int runs, int warm, long size, long data, boolean rawOnly) {
        Options {
            if (runs < 1 || warm < 0) {
                throw new IllegalArgumentException("--runs must be at least 1, --warm at least 0");
            }
            // 320 MiB: mkfs.xfs refuses filesystems under 300 MB.
            if (size < 320 * MIB || size % MIB != 0 || data < MIB || data % MIB != 0 || data > size / 2) {
                throw new IllegalArgumentException("--size must be a whole number of MiB, at least 320M, and --data "
                        + "a whole number of MiB, at least 1M and at most half of --size");
            }
        }

        static Options parse(String[] args) {
            int runs = 5;
            int warm = 1;
            long size = 1024 * MIB;
            long data = 512 * MIB;
            boolean rawOnly = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--runs" -> runs = Integer.parseInt(value(args, ++i));
                    case "--warm" -> warm = Integer.parseInt(value(args, ++i));
                    case "--size" -> size = mib(value(args, ++i));
                    case "--data" -> data = mib(value(args, ++i));
                    case "--raw-only" -> rawOnly = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'; use --runs N "
                            + "(default 5), --warm N (default 1), --size 1G, --data 512M, --raw-only");
                }
            }
            return new Options(runs, warm, size, data, rawOnly);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " needs a value");
            }
            return args[i];
        }

        /** "512M" or "1G" in bytes (whole MiB or GiB only: the benchmark's sizes). */
        private static long mib(String s) {
            if (!s.matches("[1-9][0-9]{0,6}[MG]")) {
                throw new IllegalArgumentException("size '" + s + "' is not like 512M or 1G");
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return n * (s.endsWith("G") ? 1024 : 1) * MIB;
        }

        /** A pool holds the volumes, the raw images, the snapshots and one raw copy at a time, with room. */
        long poolBytes() {
            return 5 * size + (long) (runs + warm + 1) * (size + 2 * GROW) + 512 * MIB;
        }
    }

    /**
     * One row: Berth's samples in nanoseconds (null: not run, with --raw-only or when skipped), the
     * raw ones in microseconds (null when skipped, and then {@code skipped} says why).
     */
    record Row(String name, String call, String raw, long[] berth, long[] rawMicros, String skipped) {
    }

    record Result(Options options, List<Row> rows, String machine) {
        String render() {
            StringBuilder out = new StringBuilder();
            out.append("| call | n | berth p50 ms | berth p99 ms | berth max ms | berth (REST, unix socket) "
                    + "| raw command (bash) | raw p50 ms | raw p99 ms | ratio p50 |\n");
            out.append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row row : rows) {
                Stats r = row.rawMicros() == null ? null : Stats.micros(row.rawMicros());
                Stats b = row.berth() == null ? null : new Stats(row.berth());
                String call = row.skipped() != null ? "(skipped, see below)" : b == null ? "(not run: --raw-only)"
                        : "`" + row.call() + "`";
                out.append(String.format("| %s | %d | %s | %s | %s | %s | `%s` | %s | %s | %s |%n", row.name(),
                        r == null ? 0 : r.n(), ms(b, Stats::p50), ms(b, Stats::p99), ms(b, Stats::max), call, row.raw(),
                        ms(r, Stats::p50), ms(r, Stats::p99),
                        b == null || r == null ? "-" : String.format("%.2fx", b.p50() / r.p50())));
            }
            for (Row row : rows) {
                if (row.skipped() != null) {
                    out.append(String.format("%n%s: skipped: %s%n", row.name(), row.skipped()));
                }
            }
            return out.toString();
        }

        private static String ms(Stats s, java.util.function.ToDoubleFunction<Stats> f) {
            return s == null ? "-" : String.format("%.2f", f.applyAsDouble(s));
        }
    }

    private final Options opt;
    private final Launcher berth;
    private final Path dir;

    private SnapshotBench(Options opt, Launcher berth, Path dir) {
        this.opt = opt;
        this.berth = berth;
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        Options opt = Options.parse(args);
        Result r = run(opt, Launcher.ofThisCheckout());
        System.out.printf("%s%nSnapshots of a %d MiB volume with %d MiB of random data written (fsynced), mounted, on an "
                        + "xfs pool (reflink) and an ext4 pool (copy), both loop files made by the benchmark; expansion "
                        + "+64 MiB each run of a mounted ext4 and a mounted xfs volume on the ext4 pool. Berth: all-in-one "
                        + "`berth serve`, REST calls from a warm client in the bench JVM on the unix socket. Raw: the same "
                        + "on equivalent mounted images on the same pools, started by bash. %d run(s) each, interleaved, "
                        + "after %d warm-up run(s); caches not dropped.%n%n",
                r.machine(), opt.size() / MIB, opt.data() / MIB, opt.runs(), opt.warm());
        System.out.print(r.render());
    }

    static Result run(Options opt, Launcher berth) throws Exception {
        return Leftovers.inFreshFolder("berth-snapbench-", dir -> new SnapshotBench(opt, berth, dir).measure());
    }

    private Result measure() throws Exception {
        String load = Files.readString(Path.of("/proc/loadavg")).strip();
        Path data = dir.resolve("data.bin");
        LoopPools.run(List.of("dd", "if=/dev/urandom", "of=" + data, "bs=1M", "count=" + opt.data() / MIB,
                "status=none"));
        List<Row> rows;
        try (LoopPools pools = LoopPools.make(dir, opt.poolBytes())) {
            RawImage rawXfs = RawImage.make(pools.xfs(), "raw.img", "ext4", opt.size(), dir.resolve("raw-xfs"));
            RawImage rawExt4 = RawImage.make(pools.ext4(), "raw.img", "ext4", opt.size(), dir.resolve("raw-ext4"));
            RawImage rawGrowXfs = RawImage.make(pools.ext4(), "raw-xfs.img", "xfs", opt.size(), dir.resolve("raw-grow-xfs"));
            fill(data, rawXfs.mount());
            fill(data, rawExt4.mount());
            if (opt.rawOnly()) {
                rows = rows(null, null, null, rawXfs, rawExt4, rawGrowXfs);
            } else {
                Path cfg = writeConfig(pools);
                Path socket = dir.resolve("berth.sock");
                try (Serve serve = Serve.start(berth, cfg, dir.resolve("serve.log"), "", () -> answers(socket),
                        "answer GET /v1/volumes on " + socket);
                     RestClient api = RestClient.unix(socket)) {
                    Target reflink = volume(api, "reflink", VOLUME + "-reflink", "ext4", data);
                    Target copy = volume(api, "copy", VOLUME + "-copy", "ext4", data);
                    Target growXfs = volume(api, "copy", GROW_XFS, "xfs", null);
                    rows = rows(reflink, copy, growXfs, rawXfs, rawExt4, rawGrowXfs);
                }
            }
        }
        String machine = String.format("cores: %d, JVM: %s, load at start: %s, at end: %s",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), load,
                Files.readString(Path.of("/proc/loadavg")).strip());
        return new Result(opt, rows, machine);
    }

    /** One of Berth's volumes: where the REST calls go. */
    private record Target(RestClient api, String service, String volume) {
    }

    /** The rows in ROWS order; Berth's side where its targets are given (all null: the raw side alone). */
    private List<Row> rows(Target reflink, Target copy, Target growXfs, RawImage rawXfs, RawImage rawExt4,
                           RawImage rawGrowXfs) throws Exception {
        List<Row> rows = new ArrayList<>(snapshots(0, reflink, rawXfs, "--reflink=always"));
        rows.addAll(snapshots(2, copy, rawExt4, "--sparse=always"));
        rows.add(expansions(4, copy, rawExt4));
        rows.add(expansions(5, growXfs, rawGrowXfs));
        return rows;
    }

    /**
     * Warm-up rounds, then N rounds of: Berth's snapshot, the raw copy, the raw frozen and fsynced
     * copy (each copy removed after its clock stops). Two rows (row, row + 1), Berth's samples in both.
     */
    private List<Row> snapshots(int row, Target berthSide, RawImage raw, String cpMode) throws Exception {
        Path copy = raw.image().resolveSibling("raw-copy.img");
        long[] b = berthSide == null ? null : new long[opt.runs()];
        long[] plain = new long[opt.runs()];
        long[] frozen = new long[opt.runs()];
        for (int i = -opt.warm(); i < opt.runs(); i++) {
            String name = i < 0 ? "warm" + (-i) : "s" + i;
            long took = berthSide == null ? 0 : timedSnapshot(berthSide, name);
            long t = berth.timedRun(List.of("cp", cpMode, raw.image().toString(), copy.toString()));
            Files.delete(copy);
            long[] f = berth.timed(List.of("frozen-copy", raw.mount().toString(), cpMode, raw.image().toString(),
                    copy.toString()));
            Files.delete(copy);
            if (f.length != 1) {
                throw new IllegalStateException("timed.sh frozen-copy printed " + f.length + " numbers, expected 1");
            }
            if (i >= 0) {
                plain[i] = t;
                frozen[i] = f[0];
                if (b != null) {
                    b[i] = took;
                }
            }
        }
        return List.of(new Row(ROWS.get(row), CALLS.get(row), RAW.get(row), b, plain, null),
                new Row(ROWS.get(row + 1), CALLS.get(row + 1), RAW.get(row + 1), b, frozen, null));
    }

    /**
     * Warm-up rounds, then N rounds of Berth's expand (+64 MiB, mounted) and the raw one. First one
     * unmeasured raw growth: where the host refuses it (an online resize2fs needs CAP_SYS_RESOURCE,
     * which a container's root may lack) the row is skipped with the reason, and Berth's answer to
     * the same request is printed.
     */
    private Row expansions(int row, Target berthSide, RawImage raw) throws Exception {
        long rawSize = opt.size() + GROW;
        try {
            grow(raw);
        } catch (IllegalStateException refused) {
            String why = "the host refuses the raw online growth (" + refused.getMessage().lines()
                    .filter(l -> !l.isBlank()).reduce((x, y) -> y).orElse("").strip() + ")"
                    + (raw.fs().equals("ext4") ? "; an online resize2fs needs CAP_SYS_RESOURCE" : "");
            if (berthSide != null) {
                // Not timed: what Berth says to the same request on this host.
                RestClient.Response answer = berthSide.api().call(Method.POST, "/v1/volumes/" + berthSide.volume()
                        + "/expand?service=" + berthSide.service(), Map.of("size", (opt.size() + GROW) / MIB + "M"));
                String body = answer.body().strip();
                why += "; Berth answered " + answer.status() + ": "
                        + (body.length() > 400 ? body.substring(0, 400) + "..." : body);
            }
            System.err.println("bench: " + ROWS.get(row) + " skipped: " + why);
            return new Row(ROWS.get(row), CALLS.get(row), RAW.get(row), null, null, why);
        }
        long berthSize = opt.size();
        long[] b = berthSide == null ? null : new long[opt.runs()];
        long[] r = new long[opt.runs()];
        for (int i = -opt.warm(); i < opt.runs(); i++) {
            berthSize += GROW;
            long took = berthSide == null ? 0 : timedExpand(berthSide, berthSize);
            long t = grow(raw);
            rawSize += GROW;
            if (i >= 0) {
                r[i] = t;
                if (b != null) {
                    b[i] = took;
                }
            }
        }
        long grown = Long.parseLong(LoopPools.run(List.of("blockdev", "--getsize64", raw.device().toString())).strip());
        if (grown != rawSize) {
            throw new IllegalStateException("the raw image's loop device is " + grown + " bytes after growing, expected "
                    + rawSize);
        }
        return new Row(ROWS.get(row), CALLS.get(row), RAW.get(row), b, r, null);
    }

    /** One raw growth by GROW: its microseconds. */
    private long grow(RawImage raw) throws IOException, InterruptedException {
        long[] t = berth.timed(List.of("grow", raw.image().toString(), raw.device().toString(), GROW / MIB + "M",
                raw.fs(), raw.mount().toString()));
        if (t.length != 1) {
            throw new IllegalStateException("timed.sh grow printed " + t.length + " numbers, expected 1");
        }
        return t[0];
    }

    private long timedSnapshot(Target t, String name) {
        Map<String, Object> body = Map.of("volume", t.volume(), "service", t.service(), "name", name);
        long t0 = System.nanoTime();
        RestClient.Response r = t.api().call(Method.POST, "/v1/snapshots", body);
        long took = System.nanoTime() - t0;
        expect(r, 201, "POST /v1/snapshots " + body);
        return took;
    }

    private long timedExpand(Target t, long size) {
        String uri = "/v1/volumes/" + t.volume() + "/expand?service=" + t.service();
        Map<String, Object> body = Map.of("size", size / MIB + "M");
        long t0 = System.nanoTime();
        RestClient.Response r = t.api().call(Method.POST, uri, body);
        long took = System.nanoTime() - t0;
        expect(r, 200, "POST " + uri + " " + body);
        return took;
    }

    /** Creates and mounts a volume, writes the data into it (fsynced) unless null. */
    private Target volume(RestClient api, String service, String name, String fsType, Path data) throws IOException {
        expect(api.call(Method.POST, "/v1/volumes", Map.of("name", name, "service", service, "size", opt.size() / MIB
                + "M", "fsType", fsType)), 201, "create " + service + "/" + name);
        RestClient.Response m = api.call(Method.POST, "/v1/volumes/" + name + "/mount?service=" + service,
                Map.of("ref", REF));
        expect(m, 200, "mount " + service + "/" + name);
        Path at = Path.of(dev.berth.protocols.http.Json.MAPPER.readTree(m.body()).path("path").asText());
        if (data != null) {
            fill(data, at);
        }
        System.err.println("bench: " + service + "/" + name + " (" + fsType + ") mounted at " + at);
        return new Target(api, service, name);
    }

    /** Copies the data file into a mounted filesystem and fsyncs it: the bytes are on the image, not in flight. */
    private static void fill(Path data, Path mount) throws IOException {
        Path into = mount.resolve("data.bin");
        Files.copy(data, into);
        try (FileChannel ch = FileChannel.open(into, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void expect(RestClient.Response r, int status, String what) {
        if (r.status() != status) {
            throw new IllegalStateException(what + " answered " + r.status() + " (expected " + status + "): "
                    + Proc.tail(r.body()));
        }
    }

    private Path writeConfig(LoopPools pools) throws IOException {
        Path reflinkPool = Files.createDirectories(pools.xfs().resolve("pool"));
        Path copyPool = Files.createDirectories(pools.ext4().resolve("pool"));
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, """
                node: snapshot-bench
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker: {enabled: false}
                volumes: {defaultService: copy}
                services:
                  reflink: {driver: loop, options: {pool: %2$s}}
                  copy: {driver: loop, options: {pool: %3$s}}
                """.formatted(dir, reflinkPool, copyPool));
        return cfg;
    }

    /** Whether the REST socket answers GET /v1/volumes with 200 now. */
    private static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (RestClient c = RestClient.unix(socket)) {
            return c.call(Method.GET, "/v1/volumes", null).status() == 200;
        } catch (RuntimeException notYet) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    /** The baseline's image: a file in a pool, attached by losetup, formatted {@code fs} (ext4 or xfs), mounted. */
    record RawImage(Path image, Path device, String fs, Path mount) {
        static RawImage make(LoopPools.Pool pool, String file, String fs, long size, Path mount)
                throws IOException, InterruptedException {
            Path image = pool.resolve(file);
            try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(size);
            }
            Path device = Path.of(LoopPools.run(List.of("losetup", "-f", "--show", image.toString())).strip());
            LoopPools.run(List.of("mkfs." + fs, "-q", device.toString()));
            Files.createDirectories(mount);
            LoopPools.run(List.of("mount", "-t", fs, device.toString(), mount.toString()));
            return new RawImage(image, device, fs, mount);
        }
    }

    /** For callers that list the rows (the smoke test). */
    static List<String> rowNames() {
        return new ArrayList<>(ROWS);
    }
}
