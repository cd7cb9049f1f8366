package dev.berth.host;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The structures match linux/loop.h (sizes and offsets as gcc reports them for this header). */
class LoopConfigTest {
    @Test
    void layoutsMatchTheKernelHeader() {
        assertEquals(232, LoopConfig.INFO64.byteSize());
        assertEquals(304, LoopConfig.CONFIG.byteSize());
        assertEquals(8, LoopConfig.CONFIG.byteOffset(groupElement("info")));
        assertEquals(52, LoopConfig.INFO64.byteOffset(groupElement("lo_flags")));
        assertEquals(56, LoopConfig.INFO64.byteOffset(groupElement("lo_file_name")));
        assertEquals(120, LoopConfig.INFO64.byteOffset(groupElement("lo_crypt_name")));
        assertEquals(184, LoopConfig.INFO64.byteOffset(groupElement("lo_encrypt_key")));
        assertEquals(216, LoopConfig.INFO64.byteOffset(groupElement("lo_init")));
    }

    @Test
    void configCarriesFdFlagsAndTheNameCutAt63Bytes() {
        String longName = "/var/lib/berth/pool/" + "x".repeat(100) + ".img";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = LoopConfig.config(arena, 7, LoopConfig.LO_FLAGS_DIRECT_IO,
                    longName.getBytes(StandardCharsets.UTF_8));
            assertEquals(7, c.get(ValueLayout.JAVA_INT, 0));
            assertEquals(512, c.get(ValueLayout.JAVA_INT, 4), "512-byte sectors, whatever the backing file allows");
            assertEquals(16, c.get(ValueLayout.JAVA_INT, 8 + 52), "DIRECT_IO only: no AUTOCLEAR (4)");
            byte[] name = c.asSlice(8 + 56, 64).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(longName.substring(0, 63), new String(name, 0, 63, StandardCharsets.UTF_8));
            assertEquals(0, name[63], "NUL-terminated");
            for (long i = 8 + 120; i < 304; i++) {
                assertEquals(0, c.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " is zero (no crypt, no reserved bits)");
            }
        }
    }
}
