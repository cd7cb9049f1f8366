package dev.berth.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"db", "a", "my-vol_1.data", "0abc", "A.B-C_D"})
    void acceptsDockerCompatibleNames(String name) {
        assertEquals(name, Names.volume(name));
    }

    @Test
    void acceptsExactly128Characters() {
        assertEquals(128, Names.volume("a".repeat(128)).length());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "/etc", "..", "a..b", "-rf", "-", ".hidden", "_x", "sp ace", "tab\t", "new\nline", "é"})
    void refusesUnsafeNames(String name) {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> Names.volume(name));
        assertTrue(e.hint().contains("letters, digits"), e.hint());
    }

    @Test
    void refusesNulEmptyNullAndTooLong() {
        assertThrows(InvalidArgument.class, () -> Names.volume("a\0b"));
        assertThrows(InvalidArgument.class, () -> Names.volume(""));
        assertThrows(InvalidArgument.class, () -> Names.volume(null));
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> Names.volume("x".repeat(300)));
        assertTrue(e.getMessage().contains("300 characters"), e.getMessage());
    }

    @Test
    void messageNamesTheProblem() {
        assertTrue(assertThrows(InvalidArgument.class, () -> Names.volume("a/b")).getMessage().contains("'/'"));
        assertTrue(assertThrows(InvalidArgument.class, () -> Names.volume("-x")).getMessage().contains("'-'"));
        assertTrue(assertThrows(InvalidArgument.class, () -> Names.volume("a..b")).getMessage().contains("'..'"));
    }
}
