package dev.berth.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import java.util.Arrays;

/**
 * The store's keys inside etcd: {@code <prefix><key>}. The raw key that is the prefix itself (the
 * empty store key, which no caller can write) is the namespace's marker, written with the first
 * write: a namespace without it was never written, which is how the store tells "state lost or
 * never there" on a shared etcd whose revision is never 0.
 */
final class Keyspace {
    private final byte[] prefix;

    Keyspace(String prefix) {
        this.prefix = prefix.getBytes(UTF_8);
    }

    ByteSequence raw(String key) {
        byte[] k = key.getBytes(UTF_8);
        byte[] out = Arrays.copyOf(prefix, prefix.length + k.length);
        System.arraycopy(k, 0, out, prefix.length, k.length);
        return ByteSequence.from(out);
    }

    ByteSequence marker() {
        return ByteSequence.from(prefix);
    }

    /** The end (exclusive) of the range of every raw key starting with {@code start}. */
    static ByteSequence rangeEnd(ByteSequence start) {
        byte[] b = start.getBytes();
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(b, i + 1);
                end[i]++;
                return ByteSequence.from(end);
            }
        }
        return ByteSequence.from(new byte[] {0}); // all keys (cannot happen: the prefix starts with '/')
    }

    /** The store key of a raw key; null for the marker or a key outside the prefix. */
    String relative(ByteSequence raw) {
        byte[] b = raw.getBytes();
        if (b.length <= prefix.length || !Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length)) {
            return null;
        }
        return new String(b, prefix.length, b.length - prefix.length, UTF_8);
    }
}
