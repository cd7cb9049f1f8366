package dev.berth.protocols.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
    @Test
    void writesWhatInstantToStringWrites() {
        Random rnd = new Random(7);
        int[] nanos = {0, 1, 999_999_999, 123_000_000, 123_456_000, 123_456_789, 5_000, 7_000_000};
        for (int i = 0; i < 20_000; i++) {
            long seconds = i < 10 ? i : (long) (rnd.nextDouble() * 253_402_300_799L);
            Instant t = Instant.ofEpochSecond(seconds, i % 3 == 0 ? nanos[i % nanos.length] : rnd.nextInt(1_000_000_000));
            assertEquals(t.toString(), Rfc3339.format(t));
        }
    }

    @Test
    void edgesAndOutOfRangeYearsAreStillRfc3339() {
        for (Instant t : List.of(Instant.EPOCH, Instant.parse("1999-12-31T23:59:59.999Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z"), Instant.parse("2026-02-28T00:00:00.000001Z"))) {
            assertEquals(t.toString(), Rfc3339.format(t));
            assertEquals(t, OffsetDateTime.parse(Rfc3339.format(t), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        }
        assertEquals(Instant.ofEpochSecond(-1).toString(), Rfc3339.format(Instant.ofEpochSecond(-1)));
    }
}
