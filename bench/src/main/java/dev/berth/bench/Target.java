package dev.berth.bench;

/**
 * The goal of one row of {@code bench/run fast}: a bound on Berth's p50 or p99 (in the row's unit),
 * or on the ratio of Berth's p50 to the baseline's p50.
 */
record Target(Kind kind, double limit) {
    enum Kind { P50, P99, RATIO_P50 }

    Target {
        if (!(limit > 0)) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
    }

    static Target p50(double limit) {
        return new Target(Kind.P50, limit);
    }

    static Target p99(double limit) {
        return new Target(Kind.P99, limit);
    }

    static Target ratio(double limit) {
        return new Target(Kind.RATIO_P50, limit);
    }

    /** Whether the row meets the goal; a ratio needs a baseline. */
    boolean met(Stats berth, Stats baseline) {
        return switch (kind) {
            case P50 -> berth.p50() <= limit;
            case P99 -> berth.p99() <= limit;
            case RATIO_P50 -> baseline != null && berth.p50() / baseline.p50() <= limit;
        };
    }

    String text(String unit) {
        return switch (kind) {
            case P50 -> "<= " + num(limit) + " " + unit + " p50";
            case P99 -> "<= " + num(limit) + " " + unit + " p99";
            case RATIO_P50 -> "<= " + String.format("%.2f", limit) + "x p50";
        };
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
