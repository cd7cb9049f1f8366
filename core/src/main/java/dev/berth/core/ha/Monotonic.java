package dev.berth.core.ha;

import java.time.Duration;

/**
 * The monotonic clock that every fencing deadline is measured on (never the wall clock, which an
 * operator or NTP may step). Tests drive a manual one, so expiry, grace and self-fencing deadlines
 * are checked in milliseconds.
 */
public interface Monotonic {
    long nanos();

    void sleep(Duration d) throws InterruptedException;

    Monotonic SYSTEM = new Monotonic() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (d.isPositive()) {
                Thread.sleep(d);
            }
        }
    };
}
