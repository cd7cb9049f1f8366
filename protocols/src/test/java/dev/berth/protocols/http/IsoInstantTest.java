package dev.berth.protocols.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written ISO-8601 form must be exactly what Instant.toString() (and so Jackson's default) writes. */
class IsoInstantTest {
    private static final long MIN = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    private static final long MAX = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

    @Test
    void sameTextAsTheJdkAcrossTheRangeAndEveryFractionWidth() {
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < 200_000; i++) {
            long seconds = random.nextLong(MIN, MAX + 1);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(seconds, nano);
            assertEquals(t.toString(), IsoInstant.format(t));
        }
    }

    @Test
    void edgesAndYearsOutsideFourDigits() {
        for (String s : List.of("1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999999Z", "2000-02-29T12:00:00.100Z", "1900-03-01T00:00:00.000001Z",
                "2026-12-01T22:11:34.892345Z", "-0001-12-31T23:59:59Z", "+10000-01-01T00:00:00Z")) {
            Instant t = Instant.parse(s);
            assertEquals(t.toString(), IsoInstant.format(t), s);
        }
        assertEquals(Instant.MIN.toString(), IsoInstant.format(Instant.MIN));
        assertEquals(Instant.MAX.toString(), IsoInstant.format(Instant.MAX));
    }

    @Test
    void theWireMapperWritesIt() {
        Instant t = Instant.parse("2026-12-01T22:11:34.892345Z");
        assertEquals("{\"created\":\"2026-12-01T22:11:34.892345Z\"}", Json.write(Map.of("created", t)));
        assertEquals(Json.write(Map.of("created", t)), Json.buffer(Map.of("created", t)).toString());
    }
}
