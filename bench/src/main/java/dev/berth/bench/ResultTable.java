package dev.berth.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The one table {@code bench/run fast} prints: per row Berth's and the baseline's p50 and p99, their
 * ratio, the target and whether it is met. Each row has a stable key (first column) so that a test
 * can check that every row is there.
 */
final class ResultTable {
    /** One measured row; {@code baseline} may be null when nothing compares. */
    record Row(String key, String what, Stats berth, Stats baseline, Target target) {
        String ratio() {
            return baseline == null ? "-" : String.format("%.2fx", berth.p50() / baseline.p50());
        }

        boolean met() {
            return target.met(berth, baseline);
        }
    }

    static final String[] HEAD = {"key", "measurement", "n", "berth p50", "berth p99", "baseline p50", "baseline p99",
        "ratio p50", "target", "result"};
    private final List<Row> rows = new ArrayList<>();
    private final List<String> order;

    /** @param order the keys in the order the rows are shown (rows are measured in another) */
    ResultTable(List<String> order) {
        this.order = List.copyOf(order);
    }

    void add(String key, String what, Stats berth, Stats baseline, Target target) {
        if (!order.contains(key)) {
            throw new IllegalArgumentException("unknown row key " + key);
        }
        rows.add(new Row(key, what, berth, baseline, target));
        rows.sort(java.util.Comparator.comparingInt(r -> order.indexOf(r.key())));
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** The table in Markdown. */
    String render() {
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", HEAD)).append(" |\n");
        out.append("|").append("---|".repeat(HEAD.length)).append('\n');
        for (Row r : rows) {
            String n = r.baseline == null ? String.valueOf(r.berth.n()) : r.berth.n() + "/" + r.baseline.n();
            String[] cells = {r.key, r.what, n, fmt(r.berth.p50(), r.berth), fmt(r.berth.p99(), r.berth),
                r.baseline == null ? "-" : fmt(r.baseline.p50(), r.baseline),
                r.baseline == null ? "-" : fmt(r.baseline.p99(), r.baseline),
                r.ratio(), r.target.text(r.berth.unit()), r.met() ? "pass" : "MISS"};
            out.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        return out.toString();
    }

    private static String fmt(double v, Stats s) {
        return String.format(v >= 100 ? "%.0f %s" : "%.1f %s", v, s.unit());
    }
}
