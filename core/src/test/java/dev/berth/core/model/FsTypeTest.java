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

    /** Issue 7 item 11: a 32M xfs volume was accepted and then every first mount failed in mkfs.xfs. */
    @Test
    void eachFilesystemHasItsMinimumSize() {
        assertEquals(300L << 20, FsType.XFS.minBytes());
        assertEquals(Size.MIN_BYTES, FsType.EXT4.minBytes());
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> FsType.XFS.requireFits(32L << 20));
        assertEquals("a 32M volume is too small for xfs: xfs needs at least 300M", e.getMessage());
        assertEquals("ask for at least 300M or use ext4", e.hint());
        InvalidArgument tiny = assertThrows(InvalidArgument.class, () -> FsType.XFS.requireFits(1));
        assertEquals("ask for at least 300M", tiny.hint());
        assertThrows(InvalidArgument.class, () -> FsType.XFS.requireFits((300L << 20) - 1));
        FsType.XFS.requireFits(300L << 20);
        FsType.EXT4.requireFits(Size.MIN_BYTES);
        assertThrows(InvalidArgument.class, () -> FsType.EXT4.requireFits(Size.MIN_BYTES - 1));
    }
}
