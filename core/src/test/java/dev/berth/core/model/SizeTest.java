package dev.berth.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizeTest {
    @ParameterizedTest
    @CsvSource({"512M,536870912", "1G,1073741824", "10GiB,10737418240", "1g,1073741824", "16m,16777216",
            "2T,2199023255552", "1 G,1073741824", "20MB,20971520", "16777216,16777216", "32768K,33554432"})
    void parsesUnits(String text, long bytes) {
        assertEquals(bytes, Size.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "10XB", "abc", "1.5G", "G", "", " ", "1iB", "1Gi", "99999999999999999999G"})
    void refusesNonSizes(String text) {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> Size.parse(text));
        assertTrue(e.hint().contains("512M") || e.hint().contains("at least"), e.hint());
    }

    @Test
    void refusesOverflowAndTinySizes() {
        assertThrows(InvalidArgument.class, () -> Size.parse("9000000P"));
        InvalidArgument tiny = assertThrows(InvalidArgument.class, () -> Size.parse("1K"));
        assertTrue(tiny.getMessage().contains("minimum"), tiny.getMessage());
    }

    @Test
    void formatsExactly() {
        assertEquals("1G", Size.format(1L << 30));
        assertEquals("1536M", Size.format(1536L << 20));
        assertEquals("1000", Size.format(1000));
        assertEquals(Size.parse(Size.format(10L << 30)), 10L << 30);
    }
}
