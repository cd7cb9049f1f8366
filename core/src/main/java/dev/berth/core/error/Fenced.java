package dev.berth.core.error;

/**
 * A node acted on a volume with a grant that is no longer valid: the volume's epoch moved on (it
 * was taken over, preempted or released). The node must stop touching the volume; nothing it
 * asked for was written.
 */
public final class Fenced extends BerthException {
    private final String volume;
    private final String holder;

    /** @param holder who holds the volume now, or null when nobody does */
    public Fenced(String volume, String holder, String message) {
        super(message, holder == null
                ? "this node lost the volume; mount it again to take a new claim"
                : "node " + holder + " holds it now; this node gave it up and will not touch it again", null);
        this.volume = volume;
        this.holder = holder;
    }

    public String volume() {
        return volume;
    }

    /** Null when nobody holds the volume now. */
    public String holder() {
        return holder;
    }

    @Override
    public String code() {
        return "fenced";
    }
}
