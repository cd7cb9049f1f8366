package dev.berth.app.testing;

import dev.berth.app.testing.Failover.Result;
import dev.berth.app.testing.Failover.Scenario;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proofs and the fail-over benchmark (run by {@code e2e/hosts/failover}): brings one harness up,
 * runs each scenario N times and prints, per scenario, the safety counts and the fail-over times
 * (failure to the volume mounted on hB, and to hB's first acknowledged record): p50, p99, max.
 * Exit code 0 only if every run of every scenario passed every check.
 */
public final class FailoverBench {
    private FailoverBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 20;
        List<Scenario> scenarios = List.of(Scenario.values());
        String ttl = "5s";
        boolean retryB = false;
        Path dir = null;
        String prefix = "bhf";
        String net = "10.96.0";
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--runs" -> { runs = Integer.parseInt(need(a, v)); i++; }
                case "--scenario" -> {
                    String s = need(a, v);
                    scenarios = s.equals("all") ? List.of(Scenario.values()) : Arrays.stream(s.split(","))
                            .map(x -> Scenario.valueOf(x.toUpperCase(Locale.ROOT))).toList();
                    i++;
                }
                case "--ttl" -> { ttl = need(a, v); i++; }
                case "--dir" -> { dir = Path.of(need(a, v)); i++; }
                case "--prefix" -> { prefix = need(a, v); i++; }
                case "--net" -> { net = need(a, v); i++; }
                case "--agent-set", "--controller-set" -> { extra.add(a); extra.add(need(a, v)); i++; }
                case "--retry-b" -> retryB = true;
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (--runs N --scenario killed|cut|agent|heal|all --ttl 5s --retry-b --dir DIR --agent-set K=V --controller-set K=V)");
            }
        }
        if (dir == null) {
            dir = Path.of("/var/tmp/berth-failover");
        }
        Duration ttlDuration = parseDuration(ttl);
        Failover.Options options = new Failover.Options(ttlDuration, 25, retryB, ttlDuration.multipliedBy(6).plusSeconds(60));
        Map<Scenario, List<Result>> results = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (MultiHost mh = MultiHost.up(dir, prefix, net, ttl, extra.toArray(String[]::new))) {
            System.out.printf("harness up in %.1f s (%s)%n", (System.nanoTime() - t0) / 1e9, dir);
            Failover failover = new Failover(mh, options);
            for (Scenario s : scenarios) {
                List<Result> list = new ArrayList<>();
                results.put(s, list);
                for (int r = 1; r <= runs; r++) {
                    long r0 = System.nanoTime();
                    Result res = failover.run(s, "fo-" + s.label() + "-" + r);
                    list.add(res);
                    System.out.printf("%-6s run %2d: %s mounted %s ms, first ack %s ms, A acked %d, lost %d, a-after-b %d, fsck %s, A holds %s%s (%.1f s)%n",
                            s.label(), r, res.ok() ? "ok  " : "FAIL", res.mountedMs(), res.firstAckMs(), res.ackedBeforeB(),
                            res.lostAcked().size(), res.aAfterB(), (res.fsckClean() ? "clean" : "DIRTY") + (res.journalNeededRecovery() ? " (journal replayed)" : ""), res.aHolds().isEmpty() ? "nothing" : res.aHolds(),
                            res.ok() ? "" : " " + res.problems(), (System.nanoTime() - r0) / 1e9);
                }
            }
        }
        boolean allOk = print(results, ttl, extra);
        System.exit(allOk ? 0 : 1);
    }

    private static boolean print(Map<Scenario, List<Result>> results, String ttl, List<String> extra) {
        System.out.println();
        System.out.println("TTL " + ttl + (extra.isEmpty() ? " (grace and margin: Berth's defaults)" : ", " + String.join(" ", extra)));
        System.out.println("| scenario | runs | B's docker run failed | acked records lost | runs with a- after b- | fsck dirty | A kept something | A silent | mounted p50/p99/max ms | first ack p50/p99/max ms |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        boolean allOk = true;
        for (var e : results.entrySet()) {
            List<Result> l = e.getValue();
            allOk &= l.stream().allMatch(Result::ok);
            System.out.printf("| %s | %d | %d | %d | %d | %d | %d | %d | %s | %s |%n", e.getKey().label(), l.size(),
                    l.stream().filter(r -> !r.bRan()).count(),
                    l.stream().mapToInt(r -> r.lostAcked().size()).sum(),
                    l.stream().filter(r -> r.aAfterB() > 0).count(),
                    l.stream().filter(r -> !r.fsckClean()).count(),
                    l.stream().filter(r -> !r.aHolds().isEmpty()).count(),
                    l.stream().filter(r -> !r.aSaidWhat()).count(),
                    percentiles(l.stream().mapToLong(Result::mountedMs).toArray()),
                    percentiles(l.stream().mapToLong(Result::firstAckMs).toArray()));
        }
        return allOk;
    }

    /** p50/p99/max of the runs where it happened (n/a if none did); nearest-rank percentiles. */
    static String percentiles(long[] values) {
        long[] v = Arrays.stream(values).filter(x -> x >= 0).sorted().toArray();
        if (v.length == 0) {
            return "n/a";
        }
        return rank(v, 50) + " / " + rank(v, 99) + " / " + v[v.length - 1] + (v.length < values.length ? " (of " + v.length + ")" : "");
    }

    private static long rank(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static Duration parseDuration(String s) {
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        if (s.endsWith("s")) {
            return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
        }
        throw new IllegalArgumentException("--ttl takes e.g. 5s or 2500ms: " + s);
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }
}
