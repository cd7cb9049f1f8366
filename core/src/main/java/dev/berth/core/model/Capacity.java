package dev.berth.core.model;

/** Space of a backend in bytes; {@code available} is what a new volume may still use. */
public record Capacity(long total, long available) {
    public Capacity {
        if (total < 0 || available < 0) {
            throw new IllegalArgumentException("negative capacity");
        }
    }
}
