package dev.berth.core.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The agent's task book: what the local socket of a server without a store keeps. */
class MemoryTaskBookTest {
    static final class StepClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aTaskRunsEndsOnceAndIsForgottenAfterKeep() {
        StepClock clock = new StepClock();
        MemoryTaskBook book = new MemoryTaskBook(Duration.ofMinutes(10), clock);
        String id = book.start("mount");
        assertTrue(TaskBook.validId(id), id);
        TaskRecord running = book.get(id).orElseThrow();
        assertEquals(TaskRecord.State.RUNNING, running.state());
        assertNull(running.finished());

        clock.now = clock.now.plusSeconds(5);
        book.succeeded(id, new TaskBook.Outcome(200, "{\"path\":\"/x\"}"));
        book.failed(id, new TaskBook.Outcome(500, "{}")); // a second ending changes nothing
        TaskRecord done = book.get(id).orElseThrow();
        assertEquals(TaskRecord.State.SUCCEEDED, done.state());
        assertEquals(200, done.status());
        assertEquals("{\"path\":\"/x\"}", done.result());
        assertEquals(clock.now, done.finished());

        clock.now = clock.now.plus(Duration.ofMinutes(11));
        book.start("unmount"); // purges what finished before the keep horizon
        assertFalse(book.get(id).isPresent());
        assertFalse(book.get("no-such-task").isPresent());
        assertFalse(book.get(null).isPresent());
    }

    @Test
    void progressShowsWhileRunningAndStaysAsItWasWhenTheTaskEnds() {
        MemoryTaskBook book = new MemoryTaskBook(Duration.ofMinutes(10), new StepClock());
        String id = book.start("snapshot");
        assertNull(book.get(id).orElseThrow().progress(), "no progress until the copy reports some");
        book.progress(id, new TaskRecord.Progress(10, 100));
        book.progress(id, new TaskRecord.Progress(40, 100));
        assertEquals(new TaskRecord.Progress(40, 100), book.get(id).orElseThrow().progress());
        book.succeeded(id, new TaskBook.Outcome(201, "{}"));
        book.progress(id, new TaskRecord.Progress(90, 100)); // a late report changes nothing
        assertEquals(new TaskRecord.Progress(40, 100), book.get(id).orElseThrow().progress());
        book.progress("123e4567-e89b-12d3-a456-426614174000", new TaskRecord.Progress(1, 1)); // unknown: ignored
        assertFalse(book.get("123e4567-e89b-12d3-a456-426614174000").isPresent());
    }

    @Test
    void onlyCanonicalUuidsAreTaskIds() {
        assertFalse(TaskBook.validId("../volumes/x"));
        assertFalse(TaskBook.validId("00000000-0000-0000-0000-00000000000G"));
        assertFalse(TaskBook.validId("0-0-0-0-0"));
        assertTrue(TaskBook.validId("123e4567-e89b-12d3-a456-426614174000"));
    }
}
