package dev.berth.core.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a waiting claim tells a holder that renews its lease (alive) from one whose lease runs down (dead). */
class LeaseRenewalTest {
    private static boolean renewed(long beforeMs, long nowMs, long elapsedMs) {
        return NodeService.renewedSince(Duration.ofMillis(beforeMs), Duration.ofMillis(nowMs), Duration.ofMillis(elapsedMs));
    }

    @Test
    void aLeaseThatLostTheElapsedTimeWasNotRenewed() {
        assertFalse(renewed(1900, 1400, 500));
        assertFalse(renewed(1900, 1450, 500), "a little jitter is no renewal");
        assertFalse(renewed(30_000, 29_000, 1000));
    }

    @Test
    void aShortLeaseRenewedBetweenTwoPollsIsSeenEvenWhenItsLeftTimeGrewOnlyALittle() {
        // TTL 2 s, renewed every 667 ms, polled every 500 ms: left went 1.4 s -> 1.6 s.
        assertTrue(renewed(1400, 1600, 500));
        assertTrue(renewed(1600, 1800, 500));
        // A renewal that left the time even a bit lower still gave back more than the poll took.
        assertTrue(renewed(1900, 1700, 500));
    }

    @Test
    void wholeSecondsAsEtcdReportsThemGetASecondOfSlack() {
        assertFalse(renewed(4000, 4000, 500), "4.9 s and 4.4 s both read as 4 s");
        assertFalse(renewed(4000, 3000, 500));
        assertTrue(renewed(3000, 4000, 500));
        assertTrue(renewed(3000, 5000, 500));
    }
}
