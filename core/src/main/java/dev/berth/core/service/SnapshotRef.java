package dev.berth.core.service;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.Names;

/**
 * How callers name a snapshot: {@code <snapshot>} (unique among all snapshots),
 * {@code <volume>@<snapshot>} (names are unique per volume; the volume may be gone), optionally
 * with {@code <service>/} in front of the volume, or the snapshot's id.
 *
 * @param volume the volume's name, or null when only the snapshot's name (or id) is given
 */
public record SnapshotRef(String service, String volume, String name) {
    public SnapshotRef {
        Names.snapshot(name);
        if (volume != null) {
            Names.volume(volume);
        }
        if (service != null) {
            Names.service(service);
            if (volume == null) {
                throw new InvalidArgument("a service was given without the volume of the snapshot",
                        "write <service>/<volume>@<snapshot>");
            }
        }
    }

    /** Parses {@code [<service>/]<volume>@<snapshot>} or {@code <snapshot>}. */
    public static SnapshotRef parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidArgument("snapshot name is missing", "write <snapshot> or <volume>@<snapshot>");
        }
        if (text.length() > 3 * Names.MAX_LENGTH + 2) {
            throw new InvalidArgument("snapshot reference is too long", "write <snapshot> or <volume>@<snapshot>");
        }
        int at = text.indexOf('@');
        if (at < 0) {
            return new SnapshotRef(null, null, text);
        }
        if (text.indexOf('@', at + 1) >= 0) {
            throw new InvalidArgument("snapshot reference " + text + " has more than one '@'",
                    "write <volume>@<snapshot>");
        }
        String volumePart = text.substring(0, at);
        int slash = volumePart.indexOf('/');
        String service = slash < 0 ? null : volumePart.substring(0, slash);
        String volume = slash < 0 ? volumePart : volumePart.substring(slash + 1);
        return new SnapshotRef(service, volume, text.substring(at + 1));
    }

    @Override
    public String toString() {
        return volume == null ? name : (service == null ? "" : service + "/") + volume + "@" + name;
    }
}
