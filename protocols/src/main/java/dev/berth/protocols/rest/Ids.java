package dev.berth.protocols.rest;

import dev.berth.core.error.InvalidArgument;
import java.util.regex.Pattern;

/** Checks ids that arrive in URLs before they reach a store key. */
final class Ids {
    private static final Pattern VOLUME_ID = Pattern.compile("[0-9a-f]{1,64}");

    private Ids() {
    }

    static String volumeId(String id) {
        if (id == null || !VOLUME_ID.matcher(id).matches()) {
            String shown = id == null ? "" : id.length() > 40 ? id.substring(0, 40) + "…" : id;
            throw new InvalidArgument("volume id '" + shown + "' is not an id",
                    "ids are 1-64 lowercase hex digits, as `berth volume inspect NAME` shows them");
        }
        return id;
    }
}
