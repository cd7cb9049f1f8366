package dev.berth.core.service;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The key layout in the state store (docs/architecture.md, "State"). One place builds them all. */
public final class StateKeys {
    public static final String VOLUMES = "volumes/";
    public static final String NAMES = "names/";
    public static final String CLAIMS = "claims/";
    public static final String EPOCHS = "epochs/";
    public static final String ATTACHMENTS = "attachments/";
    public static final String MOUNTS = "mounts/";
    public static final String NODES = "nodes/";
    /** Creates in progress, by name (see {@link dev.berth.core.model.Reservation}). */
    public static final String CREATING = "creating/";
    /** Removes in progress, by volume id (see {@link dev.berth.core.model.Removal}). */
    public static final String REMOVING = "removing/";
    /** Per service whose sizes are counted: bumped by every reservation, so two cannot both take the last space. */
    public static final String CAPACITY = "capacity/";
    /** Live controllers, each bound to its own lease (core ha.ControllerLease). */
    public static final String CONTROLLERS = "controllers/";
    /** The holder of each background job, bound to the holder's controller lease (core ha.Election). */
    public static final String LEADERS = "leaders/";
    /** Long operations answered 202 (core task.StoreTaskBook). */
    public static final String TASKS = "tasks/";
    /** Snapshot records by snapshot id. */
    public static final String SNAPSHOTS = "snapshots/";
    /** Snapshot names, unique per volume: {@code snapshot-names/<volumeId>/<name>} -> snapshot id. */
    public static final String SNAPSHOT_NAMES = "snapshot-names/";
    /** Snapshots in progress, by volume id and name (see {@link dev.berth.core.model.SnapshotReservation}). */
    public static final String SNAPSHOTTING = "snapshotting/";
    /** Takeovers, preemptions and self-fencing, oldest first (core model.Event). */
    public static final String EVENTS = "events/";

    private StateKeys() {
    }

    public static String volume(String id) {
        return VOLUMES + id;
    }

    public static String name(String service, String name) {
        return NAMES + service + "/" + name;
    }

    public static String creating(String service, String name) {
        return CREATING + service + "/" + name;
    }

    public static String removing(String id) {
        return REMOVING + id;
    }

    public static String capacity(String service) {
        return CAPACITY + service;
    }

    public static String claim(String id) {
        return CLAIMS + id;
    }

    public static String epoch(String id) {
        return EPOCHS + id;
    }

    public static String attachment(String node, String id) {
        return ATTACHMENTS + node + "/" + id;
    }

    public static String attachmentsOf(String node) {
        return ATTACHMENTS + node + "/";
    }

    /** Mount references may hold '/' (CSI target paths), so they are URL-encoded into one segment. */
    public static String mount(String node, String id, String ref) {
        return mountsOf(node, id) + URLEncoder.encode(ref, StandardCharsets.UTF_8);
    }

    public static String mountsOf(String node, String id) {
        return MOUNTS + node + "/" + id + "/";
    }

    public static String mountsOf(String node) {
        return MOUNTS + node + "/";
    }

    public static String node(String node) {
        return NODES + node;
    }

    /** The mount reference encoded in the last segment of a mount key. */
    public static String refOf(String mountKey) {
        return URLDecoder.decode(mountKey.substring(mountKey.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
    }

    /** The volume id in a key of the form {@code prefix/<node>/<id>[/...]}. */
    public static String volumeIdOf(String nodeScopedKey, String prefix) {
        String rest = nodeScopedKey.substring(prefix.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    public static String controller(String id) {
        return CONTROLLERS + id;
    }

    public static String leader(String job) {
        return LEADERS + job;
    }

    public static String event(String id) {
        return EVENTS + id;
    }

    public static String snapshot(String id) {
        return SNAPSHOTS + id;
    }

    public static String snapshotName(String volumeId, String name) {
        return SNAPSHOT_NAMES + volumeId + "/" + name;
    }

    public static String snapshotting(String volumeId, String name) {
        return SNAPSHOTTING + volumeId + "/" + name;
    }

    public static String task(String id) {
        return TASKS + id;
    }
}
