package dev.berth.csi;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * CSI's paged listings (ListVolumes, ListSnapshots): entries in id order, a page after the id a
 * token names. A token is {@code v1.} + base64url(id), so a listing survives entries added or
 * removed between pages (the spec allows duplicates and misses, not an error); anything else is
 * ABORTED, the spec's code for a token the plugin did not give out.
 */
final class Pages {
    private static final String PREFIX = "v1.";

    private Pages() {
    }

    /** One page: the entries and the token for the next page, empty when this is the last. */
    record Page<T>(List<T> entries, String nextToken) {
    }

    static <T> Page<T> of(List<T> all, Function<T, String> id, int maxEntries, String startingToken) {
        if (maxEntries < 0) {
            throw Calls.invalid("max_entries is negative");
        }
        String after = startingToken == null || startingToken.isEmpty() ? null : idOf(startingToken);
        List<T> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing(id));
        int max = maxEntries == 0 ? Integer.MAX_VALUE : maxEntries;
        List<T> page = new ArrayList<>();
        for (T t : sorted) {
            if (after != null && id.apply(t).compareTo(after) <= 0) {
                continue;
            }
            if (page.size() == max) {
                return new Page<>(page, token(id.apply(page.getLast())));
            }
            page.add(t);
        }
        return new Page<>(page, "");
    }

    static String token(String id) {
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    static String idOf(String token) {
        if (token.startsWith(PREFIX)) {
            try {
                String id = new String(Base64.getUrlDecoder().decode(token.substring(PREFIX.length())),
                        StandardCharsets.UTF_8);
                if (Ids.valid(id)) {
                    return id;
                }
            } catch (IllegalArgumentException e) {
                // falls through to ABORTED
            }
        }
        throw Status.ABORTED.withDescription("starting_token '" + Ids.shown(token) + "' is not a token this "
                + "plugin gave out; start the listing again without one").asRuntimeException();
    }
}
