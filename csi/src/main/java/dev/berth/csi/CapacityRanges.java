package dev.berth.csi;

import dev.berth.core.model.Size;

/**
 * What a CSI capacity range means for a new, a copied and a grown volume. Sizes are 4 KiB-aligned,
 * as Berth's are (a loop device refreshed to an odd size can fall back to 1 KiB blocks).
 */
final class CapacityRanges {
    static final long ALIGN = 4096;

    private CapacityRanges() {
    }

    /** The size of a new empty volume: the required bytes, else the default within the limit. */
    static long forCreate(long required, long limit, long defaultSize) {
        checkSigns(required, limit);
        long size = required > 0 ? required : limit > 0 ? Math.min(defaultSize, limit) : defaultSize;
        size = align(Math.max(size, Size.MIN_BYTES));
        if (limit > 0 && size > limit) {
            throw Calls.outOfRange("the smallest volume Berth makes is " + Size.format(Size.MIN_BYTES)
                    + " (4 KiB-aligned), above the limit of " + limit + " bytes");
        }
        return size;
    }

    /**
     * The size of a volume copied from a source of {@code sourceBytes}: the source's own when no
     * more is required (returned as 0: "the source's"), else the required bytes. Smaller than the
     * source is OUT_OF_RANGE (the spec's own example): a filesystem cannot be cut.
     */
    static long forCopy(long required, long limit, long sourceBytes) {
        checkSigns(required, limit);
        if (limit > 0 && sourceBytes > limit) {
            throw Calls.outOfRange("the source has " + sourceBytes + " bytes, more than the limit of " + limit
                    + " bytes; a copy is at least as large as its source");
        }
        if (required == 0 || required == sourceBytes) {
            return 0;
        }
        if (required < sourceBytes) {
            throw Calls.outOfRange("capacity_range requires " + required + " bytes, less than the source's " + sourceBytes
                    + "; a copy is at least as large as its source (ask for " + sourceBytes + " or more)");
        }
        long size = align(required);
        if (limit > 0 && size > limit) {
            throw Calls.outOfRange("Berth sizes volumes in 4 KiB steps: " + required + " bytes rounds up to " + size
                    + ", above the limit of " + limit + " bytes");
        }
        return size;
    }

    /**
     * The size to grow a volume of {@code current} bytes to, or {@code current} when it already is
     * as large as required (the spec: OK, nothing to do). A limit below the current size asks for
     * a shrink, which Berth never does: OUT_OF_RANGE.
     */
    static long forExpand(long required, long limit, long current) {
        checkSigns(required, limit);
        if (required == 0 && limit == 0) {
            throw Calls.invalid("capacity_range is missing: ControllerExpandVolume needs the size to grow to");
        }
        if (limit > 0 && current > limit) {
            throw Calls.outOfRange("the volume has " + current + " bytes, more than the limit of " + limit
                    + " bytes, and volumes never shrink (it would cut off the filesystem's end)");
        }
        if (required <= current) {
            return current;
        }
        long size = align(required);
        if (limit > 0 && size > limit) {
            throw Calls.outOfRange("Berth sizes volumes in 4 KiB steps: " + required + " bytes rounds up to " + size
                    + ", above the limit of " + limit + " bytes");
        }
        return size;
    }

    private static void checkSigns(long required, long limit) {
        if (required < 0 || limit < 0) {
            throw Calls.invalid("capacity_range has negative bytes");
        }
        if (limit > 0 && required > limit) {
            throw Calls.outOfRange("capacity_range asks for at least " + required + " and at most " + limit + " bytes");
        }
    }

    private static long align(long size) {
        if (size > Long.MAX_VALUE - ALIGN) {
            throw Calls.outOfRange("capacity_range asks for more bytes than Berth can address");
        }
        return (size + ALIGN - 1) / ALIGN * ALIGN;
    }
}
