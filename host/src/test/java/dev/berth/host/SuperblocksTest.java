package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.core.error.BackendFailure;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The superblock fields read before a mount, on hand-made superblocks (the real ones: FilesystemCheckRootTest). */
class SuperblocksTest {
    static ByteBuffer ext4(int state, int compat, int incompat, int errors) {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0x38, (short) 0xEF53).putShort(0x3A, (short) state).putInt(0x5C, compat).putInt(0x60, incompat)
                .putInt(0x194, errors);
        return b;
    }

    @Test
    void ext4States() {
        int journal = 0x4;
        assertEquals(Optional.of(List.of()), Superblocks.ext4(ext4(1, journal, 0x2c2, 0)));
        assertEquals(Optional.of(List.of("the kernel recorded errors in it")), Superblocks.ext4(ext4(3, journal, 0, 0)));
        assertEquals(Optional.of(List.of("it records 2 errors")), Superblocks.ext4(ext4(1, journal, 0, 2)));
        assertEquals(Optional.of(List.of("its journal needs recovery (it was not unmounted cleanly)")),
                Superblocks.ext4(ext4(1, journal, 0x4, 0)));
        assertEquals(Optional.of(List.of("it has no journal and was not unmounted cleanly")),
                Superblocks.ext4(ext4(0, 0, 0, 0)));
        assertEquals(Optional.of(List.of("an orphan recovery did not finish")), Superblocks.ext4(ext4(5, journal, 0, 0)));
        ByteBuffer notExt4 = ext4(3, journal, 0x4, 1).putShort(0x38, (short) 0x1234);
        assertEquals(Optional.empty(), Superblocks.ext4(notExt4));
        assertEquals(Optional.empty(), Superblocks.ext4(ByteBuffer.allocate(100)), "a short device");
    }

    @Test
    void xfsStates() {
        ByteBuffer sb = ByteBuffer.allocate(512).putInt(0, 0x58465342).putShort(100, (short) 0xb4a5).putInt(216, 0xb);
        assertEquals(Optional.of(List.of()), Superblocks.xfs(sb));
        sb.putInt(216, 0x1b);
        assertEquals(Optional.of(List.of("a repair did not finish (the needsrepair flag is set)")), Superblocks.xfs(sb));
        sb.putShort(100, (short) 0xb4a4); // v4 has no incompat features field
        assertEquals(Optional.of(List.of()), Superblocks.xfs(sb));
        sb.put(126, (byte) 1);
        assertEquals(Optional.of(List.of("mkfs.xfs did not finish making it (sb_inprogress)")), Superblocks.xfs(sb));
        assertEquals(Optional.empty(), Superblocks.xfs(ByteBuffer.allocate(512)));
    }

    @Test
    void xfsRepairsProgressIsLeftOutOfMessages() {
        assertEquals("bad magic # 0 for agf 1 / would fix", FilesystemChecker.progressLess(
                "Phase 1 - find and verify superblock...\n        - zero log...\nbad magic # 0 for agf 1\n\nwould fix\n"));
    }

    @Test
    void duTotalsAreParsedStrictly() {
        assertEquals(13762560, DiskUsage.total("4587520\ta.img\n9175040\tb.img\n13762560\ttotal\n"));
        assertEquals(0, DiskUsage.total("0\ttotal\n"));
        assertThrows(BackendFailure.class, () -> DiskUsage.total(""));
        assertThrows(BackendFailure.class, () -> DiskUsage.total("4587520\ta.img\n"));
        assertThrows(BackendFailure.class, () -> DiskUsage.total("x\ttotal\n"));
    }
}
