package dev.berth.store.embedded;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.spi.StateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A second JVM for {@link SqliteStateStoreTest}: writes and dies without closing, or tries the lock. */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "write-then-halt" -> writeThenHalt(dir, Integer.parseInt(args[2]));
            case "write-until-killed" -> writeUntilKilled(dir);
            case "try-open" -> tryOpen(dir);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void writeThenHalt(Path dir, int n) {
        SqliteStateStore store = SqliteStateStore.open(dir);
        StateStore.Lease lease = store.grant(Duration.ofSeconds(60));
        store.txn(List.of(), List.of(new StateStore.Op.Put("crash/leased", bytes("held"), lease.id())));
        for (int i = 0; i < n; i++) {
            store.put(key(i), bytes("value " + i));
        }
        System.out.println("written " + store.revision() + " " + lease.id());
        System.out.flush();
        Runtime.getRuntime().halt(137); // no close, no shutdown hooks: as abrupt as a JVM gets
    }

    private static void writeUntilKilled(Path dir) {
        SqliteStateStore store = SqliteStateStore.open(dir);
        for (int i = 0; ; i++) {
            long revision = store.put(key(i), bytes("value " + i));
            System.out.println("committed " + i + " " + revision);
            System.out.flush();
        }
    }

    @SuppressWarnings("try")
    private static void tryOpen(Path dir) {
        try (SqliteStateStore ignored = SqliteStateStore.open(dir)) {
            System.out.println("opened");
        } catch (Busy e) {
            System.out.println("busy " + e.getMessage() + " | " + e.hint());
        } catch (BerthException e) {
            System.out.println("failed " + e.getMessage());
        }
        System.out.flush();
    }

    static String key(int i) {
        return "crash/%06d".formatted(i);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
