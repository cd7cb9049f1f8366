package dev.berth.core.error;

import java.time.Duration;

/** The volume is claimed by another node whose lease is still alive. */
public final class AttachedElsewhere extends BerthException {
    private final String volume;
    private final String holder;
    private final Duration leaseLeft;

    public AttachedElsewhere(String volume, String holder, Duration leaseLeft) {
        super("volume " + volume + " is attached to node " + holder
                        + " (its lease has " + describe(leaseLeft) + " left)",
                "unmount it on " + holder + " first, or wait until that node's lease expires", null);
        this.volume = volume;
        this.holder = holder;
        this.leaseLeft = leaseLeft;
    }

    public String volume() {
        return volume;
    }

    private static String describe(Duration left) {
        if (left == null) {
            return "no expiry";
        }
        long ms = Math.max(0, left.toMillis());
        return ms >= 1000 ? String.format("%.1fs", ms / 1000.0) : ms + "ms";
    }

    public String holder() {
        return holder;
    }

    /** Null when the holder's claim carries no lease (it never expires by itself). */
    public Duration leaseLeft() {
        return leaseLeft;
    }

    @Override
    public String code() {
        return "attached_elsewhere";
    }
}
