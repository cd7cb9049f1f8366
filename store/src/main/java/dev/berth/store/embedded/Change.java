package dev.berth.store.embedded;

import dev.berth.core.spi.StateStore.KeyValue;

/**
 * One key changed by a write. The same list of changes goes to SQLite, to the memory index, to
 * the lease bindings and to the watches, so the four cannot disagree about what a write did.
 */
sealed interface Change {
    String key();

    /** The key before the write; null if it did not exist. */
    KeyValue previous();

    record Put(KeyValue kv, KeyValue previous) implements Change {
        @Override
        public String key() {
            return kv.key();
        }
    }

    record Delete(KeyValue previous, long revision) implements Change {
        @Override
        public String key() {
            return previous.key();
        }
    }
}
