package dev.berth.csi;

import java.util.regex.Pattern;

/**
 * The form of the ids Berth gives out (volumes and snapshots: lowercase hex). An id of another
 * form names nothing, so it is answered as unknown without a look-up that could match a name.
 */
final class Ids {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{1,64}");

    private Ids() {
    }

    static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** A caller's string cut for a message. */
    static String shown(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}
