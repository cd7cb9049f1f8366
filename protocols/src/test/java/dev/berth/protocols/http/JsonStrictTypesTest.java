package dev.berth.protocols.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Request bodies keep their JSON types: no number, boolean or string silently becomes another type. */
class JsonStrictTypesTest {
    record Body(String name, boolean explicit, int count) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"name\":123}", "{\"name\":1.5}", "{\"name\":true}", "{\"explicit\":\"true\"}",
            "{\"explicit\":1}", "{\"count\":\"7\"}", "{\"count\":7.5}", "{\"count\":true}"})
    void wrongTypesAreRefused(String body) {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> Json.read(body, Body.class, "{}"));
        assertTrue(e.getMessage().contains("not valid JSON for this call"), e.getMessage());
    }

    @Test
    void rightTypesStillParse() {
        assertEquals(new Body("a", true, 7), Json.read("{\"name\":\"a\",\"explicit\":true,\"count\":7}", Body.class, "{}"));
    }
}
