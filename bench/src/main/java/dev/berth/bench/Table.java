package dev.berth.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A printed results table: one row per measurement, with the baseline it is compared to. Rows may
 * carry a throughput; the "berth ops/s" column is printed only when one does.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private boolean withThroughput;

    void row(String what, Stats berth, Stats baseline, String target) {
        row(what, berth, baseline, target, Double.NaN);
    }

    /** @param opsPerSecond Berth's throughput for this row, or NaN when it does not apply */
    void row(String what, Stats berth, Stats baseline, String target, double opsPerSecond) {
        String ratio = baseline == null ? "-" : String.format("%.2fx", berth.p50() / baseline.p50());
        withThroughput |= !Double.isNaN(opsPerSecond);
        rows.add(new String[] {what, String.valueOf(berth.n()), fmt(berth.p50()), fmt(berth.p99()),
                baseline == null ? "-" : fmt(baseline.p50()), baseline == null ? "-" : fmt(baseline.p99()), ratio, target,
                Double.isNaN(opsPerSecond) ? "-" : String.format("%,.0f", opsPerSecond)});
    }

    private static String fmt(double ms) {
        return String.format("%.2f", ms);
    }

    void print() {
        String[] head = {"measurement", "n", "berth p50 ms", "berth p99 ms", "baseline p50 ms", "baseline p99 ms",
                "ratio p50", "target", "berth ops/s"};
        int columns = withThroughput ? head.length : head.length - 1;
        System.out.println("| " + String.join(" | ", List.of(head).subList(0, columns)) + " |");
        System.out.println("|" + "---|".repeat(columns));
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", List.of(r).subList(0, columns)) + " |");
        }
    }
}
