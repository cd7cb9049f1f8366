package dev.berth.bench;

import java.util.Arrays;

/** Samples in nanoseconds, summarised as percentiles in milliseconds. */
final class Stats {
    private final long[] samples;

    Stats(long[] samples) {
        this.samples = samples.clone();
        Arrays.sort(this.samples);
    }

    double p(double q) {
        int i = (int) Math.ceil(q * samples.length) - 1;
        return samples[Math.max(0, Math.min(samples.length - 1, i))] / 1e6;
    }

    double p50() {
        return p(0.50);
    }

    double p99() {
        return p(0.99);
    }

    int n() {
        return samples.length;
    }
}
