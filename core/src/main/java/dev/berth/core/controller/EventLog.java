package dev.berth.core.controller;

import dev.berth.core.model.Event;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.Codec;
import dev.berth.core.spi.StateStore;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Takeovers, preemptions and self-fencing in the store ({@code events/<millis>-<random>}, so a
 * listing is in time order). Events are written in the same transaction as the change they
 * describe; only the oldest beyond {@link #KEEP} are dropped.
 */
final class EventLog {
    static final int KEEP = 1000;
    private final StateStore store;
    private final Codec codec;
    private final Clock clock;

    EventLog(StateStore store, Codec codec, Clock clock) {
        this.store = store;
        this.codec = codec;
        this.clock = clock;
    }

    Event event(String kind, String volumeId, String volume, String from, String to, long epoch, String reason) {
        var now = clock.instant();
        String id = String.format("%013d-%s", now.toEpochMilli(), UUID.randomUUID().toString().substring(0, 8));
        return new Event(id, now, kind, volumeId, volume, from, to, epoch, reason);
    }

    StateStore.Op put(Event e) {
        return new StateStore.Op.Put(StateKeys.event(e.id()), codec.encode(e), StateStore.NO_LEASE);
    }

    void record(Event e) {
        store.txn(List.of(), List.of(put(e)));
    }

    /** The newest {@code limit} events, oldest first; of one volume when {@code volumeId} is not null. */
    List<Event> list(String volumeId, int limit) {
        List<Event> all = store.list(StateKeys.EVENTS).stream().map(kv -> codec.decode(kv.value(), Event.class))
                .filter(e -> volumeId == null || e.volumeId().equals(volumeId))
                .sorted(Comparator.comparing(Event::id)).toList();
        return all.subList(Math.max(0, all.size() - limit), all.size());
    }

    /** True once {@code node} reported giving up volume {@code volumeId} in an event after {@code afterId}. */
    boolean gaveUpSince(String volumeId, String node, String afterId) {
        return store.list(StateKeys.EVENTS).stream().filter(kv -> kv.key().compareTo(StateKeys.event(afterId)) > 0)
                .map(kv -> codec.decode(kv.value(), Event.class))
                .anyMatch(e -> e.kind().equals(Event.GAVE_UP) && e.volumeId().equals(volumeId) && node.equals(e.from()));
    }

    /** Drops the oldest events beyond {@link #KEEP}; returns how many. */
    int purge() {
        var kvs = store.list(StateKeys.EVENTS);
        if (kvs.size() <= KEEP) {
            return 0;
        }
        var ops = kvs.stream().sorted(Comparator.comparing(StateStore.KeyValue::key)).limit(kvs.size() - KEEP)
                .limit(100).<StateStore.Op>map(kv -> new StateStore.Op.Delete(kv.key())).toList();
        store.txn(List.of(), ops);
        return ops.size();
    }
}
