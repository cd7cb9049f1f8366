package dev.berth.core.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VolumeLocksTest {
    @Test
    void locksOfFortyThousandVolumesGoAwayWithTheirLastUser() {
        VolumeLocks locks = new VolumeLocks();
        for (int i = 0; i < 40_000; i++) {
            String id = "%032x".formatted(i);
            locks.with(id, () -> null);
        }
        assertEquals(0, locks.size());
    }
}
