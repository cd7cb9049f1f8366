package dev.berth.bench;

import java.util.Arrays;

/**
 * Samples summarised as percentiles: nanoseconds shown in milliseconds (the default), or bytes
 * shown in MiB ({@link #bytes}).
 */
final class Stats {
    private final long[] samples;
    private final double perUnit;
    private final String unit;

    Stats(long[] samples) {
        this(samples, 1e6, "ms");
    }

    private Stats(long[] samples, double perUnit, String unit) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        this.samples = samples.clone();
        Arrays.sort(this.samples);
        this.perUnit = perUnit;
        this.unit = unit;
    }

    /** Sizes in bytes, shown in MiB. */
    static Stats bytes(long[] samples) {
        return new Stats(samples, 1024.0 * 1024.0, "MiB");
    }

    /** Microseconds (what bench/sh/timed.sh prints), shown in milliseconds. */
    static Stats micros(long[] samples) {
        long[] nanos = new long[samples.length];
        for (int i = 0; i < samples.length; i++) {
            nanos[i] = samples[i] * 1000;
        }
        return new Stats(nanos);
    }

    /** The q-quantile (nearest rank), in this statistic's unit. */
    double p(double q) {
        int i = (int) Math.ceil(q * samples.length) - 1;
        return samples[Math.max(0, Math.min(samples.length - 1, i))] / perUnit;
    }

    double p50() {
        return p(0.50);
    }

    double p99() {
        return p(0.99);
    }

    double min() {
        return samples[0] / perUnit;
    }

    double max() {
        return samples[samples.length - 1] / perUnit;
    }

    int n() {
        return samples.length;
    }

    String unit() {
        return unit;
    }
}
