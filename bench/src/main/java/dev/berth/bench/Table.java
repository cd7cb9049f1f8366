package dev.berth.bench;

import java.util.ArrayList;
import java.util.List;

/** A printed results table: one row per measurement, with the baseline it is compared to. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    void row(String what, Stats berth, Stats baseline, String target) {
        String ratio = baseline == null ? "-" : String.format("%.2fx", berth.p50() / baseline.p50());
        rows.add(new String[] {what, String.valueOf(berth.n()), fmt(berth.p50()), fmt(berth.p99()),
                baseline == null ? "-" : fmt(baseline.p50()), baseline == null ? "-" : fmt(baseline.p99()), ratio, target});
    }

    private static String fmt(double ms) {
        return String.format("%.2f", ms);
    }

    void print() {
        String[] head = {"measurement", "n", "berth p50 ms", "berth p99 ms", "baseline p50 ms", "baseline p99 ms",
                "ratio p50", "target"};
        System.out.println("| " + String.join(" | ", head) + " |");
        System.out.println("|" + "---|".repeat(head.length));
        for (String[] r : rows) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
    }
}
