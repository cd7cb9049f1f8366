package dev.berth.store.embedded;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.spi.StateStore;
import java.util.Comparator;

/** What a key may be, and the order keys are listed in (the etcd store checks keys here too). */
public final class Keys {
    /**
     * Order of the keys' UTF-8 bytes, which is etcd's order and SQLite's BINARY collation.
     * String.compareTo compares UTF-16 units and puts emoji before U+E000..U+FFFF; code point
     * order is exactly UTF-8 byte order.
     */
    static final Comparator<String> ORDER = Keys::compareCodePoints;

    private static final String HINT = "use keys of 1-" + StateStore.MAX_KEY_LENGTH
            + " characters of valid Unicode without NUL";

    private Keys() {
    }

    public static String check(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidArgument("state key is empty", HINT);
        }
        if (key.length() > StateStore.MAX_KEY_LENGTH) {
            throw new InvalidArgument("state key '" + key.substring(0, 64) + "…' is " + key.length()
                    + " characters long, the limit is " + StateStore.MAX_KEY_LENGTH, HINT);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\0') {
                throw new InvalidArgument("state key '" + printable(key) + "' contains NUL", HINT);
            }
            // A lone surrogate has no UTF-8 form: SQLite would store '?' and the key would change on reload.
            if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidArgument("state key '" + printable(key) + "' is not valid Unicode", HINT);
            }
        }
        return key;
    }

    public static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new InvalidArgument("key prefix is missing", "use \"\" for all keys");
        }
        return prefix.isEmpty() ? prefix : check(prefix);
    }

    private static String printable(String key) {
        String shown = key.replace('\0', '␀');
        return shown.length() > 64 ? shown.substring(0, 64) + "…" : shown;
    }

    private static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int k = 0; k < n; k++) {
            char ca = a.charAt(k);
            char cb = b.charAt(k);
            if (ca != cb) {
                // Only surrogates are out of code point order in UTF-16: lift them above the BMP.
                return Integer.compare(lift(ca), lift(cb));
            }
        }
        return a.length() - b.length();
    }

    private static int lift(char c) {
        return Character.isSurrogate(c) ? c + 0x10000 : c;
    }
}
