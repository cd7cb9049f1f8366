package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.core.model.Size;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class CapacityRangesTest {
    private static final long MIB = 1L << 20;

    private static Status.Code refused(Runnable r) {
        return assertThrows(StatusRuntimeException.class, r::run).getStatus().getCode();
    }

    @Test
    void createTakesTheRequiredBytesAlignedElseTheDefaultWithinTheLimit() {
        assertEquals(64 * MIB, CapacityRanges.forCreate(64 * MIB, 0, 48 * MIB));
        assertEquals(64 * MIB + 4096, CapacityRanges.forCreate(64 * MIB + 1, 0, 48 * MIB));
        assertEquals(48 * MIB, CapacityRanges.forCreate(0, 0, 48 * MIB));
        assertEquals(Size.MIN_BYTES, CapacityRanges.forCreate(0, 0, 1), "never below Berth's smallest volume");
        assertEquals(32 * MIB, CapacityRanges.forCreate(0, 32 * MIB, 64 * MIB));
        assertEquals(Size.MIN_BYTES, CapacityRanges.forCreate(1, 0, 48 * MIB));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCreate(64 * MIB, 32 * MIB, 0)));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCreate(1, 1, 48 * MIB)));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> CapacityRanges.forCreate(-1, 0, 48 * MIB)));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCreate(Long.MAX_VALUE, 0, 48 * MIB)));
    }

    @Test
    void aCopyIsAtLeastItsSource() {
        assertEquals(0, CapacityRanges.forCopy(0, 0, 64 * MIB), "no size asked for: the source's");
        assertEquals(0, CapacityRanges.forCopy(64 * MIB, 0, 64 * MIB));
        assertEquals(1248 * MIB, CapacityRanges.forCopy(1248 * MIB, 0, 64 * MIB));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCopy(32 * MIB, 0, 64 * MIB)));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCopy(0, 32 * MIB, 64 * MIB)));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forCopy(64 * MIB + 1, 64 * MIB + 2, 64 * MIB)));
    }

    @Test
    void expandGrowsNeverShrinksAndAnswersTheSizeForAnythingSmaller() {
        assertEquals(1248 * MIB, CapacityRanges.forExpand(1248 * MIB, 0, 64 * MIB));
        assertEquals(1248 * MIB, CapacityRanges.forExpand(1248 * MIB - 100, 0, 64 * MIB));
        assertEquals(64 * MIB, CapacityRanges.forExpand(32 * MIB, 0, 64 * MIB), "already larger: OK, unchanged");
        assertEquals(64 * MIB, CapacityRanges.forExpand(0, 1248 * MIB, 64 * MIB));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forExpand(16 * MIB, 32 * MIB, 64 * MIB)));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(() -> CapacityRanges.forExpand(1248 * MIB + 1, 1248 * MIB + 2, 64 * MIB)));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> CapacityRanges.forExpand(0, 0, 64 * MIB)));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(() -> CapacityRanges.forExpand(-5, 0, 64 * MIB)));
    }
}
