package dev.berth.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.api.Test;

class FsTypeTest {
    @Test
    void parsesKnownTypesCaseInsensitively() {
        assertEquals(FsType.EXT4, FsType.parse("ext4"));
        assertEquals(FsType.XFS, FsType.parse("XFS"));
    }

    @Test
    void refusesOthersNamingTheValidOnes() {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> FsType.parse("ntfs"));
        assertTrue(e.getMessage().contains("ntfs"));
        assertEquals("use one of: ext4, xfs", e.hint());
        assertThrows(InvalidArgument.class, () -> FsType.parse(null));
    }
}
