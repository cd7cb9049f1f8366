package dev.berth.protocols.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Event;
import dev.berth.core.model.Grant;
import java.util.Map;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.model.ContentSource;
import dev.berth.core.service.CreateSnapshot;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.SnapshotPolicy;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.SnapshotView;
import dev.berth.core.service.NodeInfo;
import dev.berth.core.service.ServiceInfo;
import dev.berth.core.service.VolumeAdmin;
import dev.berth.core.service.VolumeRef;
import dev.berth.core.service.VolumeView;
import dev.berth.core.spi.ControlPlane;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The controller as an agent sees it: {@link VolumeAdmin} and {@link ControlPlane} over the REST
 * API. Errors arrive as the core errors the controller threw. With several controllers the client
 * moves to the next one on connection failure or 503 (RestClient); register and heartbeat may run
 * twice safely, so they move on after a lost connection too, and a heartbeat waits for its answer
 * at most half the lease TTL: the next controller is asked while the lease still lives.
 */
public final class RemoteController implements VolumeAdmin, ControlPlane, AutoCloseable {
    private static final TypeReference<VolumeView> VIEW = new TypeReference<>() { };
    private static final TypeReference<Volume> VOLUME = new TypeReference<>() { };
    private static final TypeReference<Claim> CLAIM = new TypeReference<>() { };
    private static final TypeReference<Grant> GRANT = new TypeReference<>() { };
    private static final TypeReference<Attachment> ATTACHMENT = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };
    static final TypeReference<SnapshotView> SNAPSHOT_TYPE = new TypeReference<>() { };
    private static final TypeReference<SnapshotView> SNAPSHOT = SNAPSHOT_TYPE;
    private static final TypeReference<List<SnapshotView>> SNAPSHOTS = new TypeReference<>() { };
    private static final TypeReference<SnapshotBodies.Removed> REMOVED = new TypeReference<>() { };
    private final RestClient http;
    private volatile Duration heartbeatWait;

    public RemoteController(RestClient http) {
        this.http = http;
    }

    /**
     * A controller client for an agent: every controller it uses must speak at least this build's
     * API ({@link ApiVersion}); the first one is asked now, so an agent refuses to start against a
     * controller that is too old, saying which versions and what to do.
     *
     * @param agentVersion this agent's Berth version, for the refusal
     */
    public static RemoteController forAgent(RestClient http, String agentVersion) {
        try {
            http.requireApi(ApiVersion.CURRENT, "this agent (Berth " + agentVersion + ", API " + ApiVersion.CURRENT + ")");
        } catch (RuntimeException e) {
            http.close();
            throw e;
        }
        return new RemoteController(http);
    }

    private static String vol(String name, VolumeRef ref, String suffix) {
        return "/v1/volumes/" + RestClient.enc(name) + suffix + (ref.service() == null ? "" : "?service="
                + RestClient.enc(ref.service()));
    }

    private static String nv(String node, String volumeId, String suffix) {
        return "/v1/control/nodes/" + RestClient.enc(node) + "/volumes/" + RestClient.enc(volumeId) + suffix;
    }

    // ---- VolumeAdmin ---------------------------------------------------------------------

    @Override
    public VolumeView create(CreateVolume r) {
        return create(r, dev.berth.core.spi.Progress.NONE);
    }

    @Override
    public VolumeView create(CreateVolume r, dev.berth.core.spi.Progress progress) {
        var source = r.source();
        String fromSnapshot = source != null && source.kind() == ContentSource.Kind.SNAPSHOT ? source.ref() : null;
        String fromVolume = source != null && source.kind() == ContentSource.Kind.VOLUME ? source.ref() : null;
        return http.call(RestClient.Method.POST, "/v1/volumes", new CreateVolumeBody(r.name(), r.service(), r.size(),
                r.fsType(), r.labels(), fromSnapshot, fromVolume, r.frozenBy()), VIEW, progress);
    }

    @Override
    public List<String> remove(VolumeRef ref, SnapshotPolicy policy) {
        String uri = vol(ref.name(), ref, "");
        String query = switch (policy) {
            case REFUSE -> "";
            case DELETE -> "snapshots=delete";
            case KEEP -> "snapshots=keep";
        };
        if (!query.isEmpty()) {
            uri += (uri.contains("?") ? "&" : "?") + query;
        }
        SnapshotBodies.Removed removed = http.call(RestClient.Method.DELETE, uri, null, REMOVED);
        return removed == null || removed.removedSnapshots() == null ? List.of() : removed.removedSnapshots();
    }

    @Override
    public SnapshotView snapshot(CreateSnapshot r, dev.berth.core.spi.Progress progress) {
        return http.call(RestClient.Method.POST, "/v1/snapshots",
                new SnapshotBodies.Create(r.volume().name(), r.volume().service(), r.name(), r.frozenBy()), SNAPSHOT, progress);
    }

    @Override
    public List<SnapshotView> snapshots(VolumeRef volume) {
        String q = volume == null ? "" : "?volume=" + RestClient.enc(volume.name())
                + (volume.service() == null ? "" : "&service=" + RestClient.enc(volume.service()));
        return http.call(RestClient.Method.GET, "/v1/snapshots" + q, null, SNAPSHOTS);
    }

    @Override
    public SnapshotView inspectSnapshot(SnapshotRef ref) {
        return http.call(RestClient.Method.GET, snapshotUri(ref), null, SNAPSHOT);
    }

    @Override
    public void removeSnapshot(SnapshotRef ref) {
        http.call(RestClient.Method.DELETE, snapshotUri(ref), null, SNAPSHOT);
    }

    @Override
    public VolumeView expand(VolumeRef ref, String size) {
        return http.call(RestClient.Method.POST, vol(ref.name(), ref, "/expand"), new SnapshotBodies.Expand(size), VIEW);
    }

    /** {@code /v1/snapshots/<ref>}, the whole reference in one escaped path segment. */
    static String snapshotUri(SnapshotRef ref) {
        return "/v1/snapshots/" + RestClient.enc(ref.toString());
    }

    @Override
    public void remove(VolumeRef ref) {
        http.call(RestClient.Method.DELETE, vol(ref.name(), ref, ""), null, VIEW);
    }

    @Override
    public VolumeView inspect(VolumeRef ref) {
        return http.call(RestClient.Method.GET, vol(ref.name(), ref, ""), null, VIEW);
    }

    @Override
    public List<VolumeView> list(String service) {
        return http.call(RestClient.Method.GET, "/v1/volumes" + (service == null ? "" : "?service=" + RestClient.enc(service)),
                null, new TypeReference<List<VolumeView>>() { });
    }

    @Override
    public List<ServiceInfo> services() {
        return http.call(RestClient.Method.GET, "/v1/services", null, new TypeReference<List<ServiceInfo>>() { });
    }

    @Override
    public List<NodeInfo> nodes() {
        return http.call(RestClient.Method.GET, "/v1/nodes", null, new TypeReference<List<NodeInfo>>() { });
    }

    // ---- ControlPlane --------------------------------------------------------------------

    @Override
    public Duration register(Node node) {
        ControlBodies.Registered r = http.callIdempotent(RestClient.Method.POST, "/v1/control/nodes/" + RestClient.enc(node.id())
                + "/register", node, new TypeReference<ControlBodies.Registered>() { }, null);
        Duration ttl = Duration.ofMillis(r.leaseTtlMs());
        heartbeatWait = ttl.dividedBy(2).compareTo(MIN_HEARTBEAT_WAIT) < 0 ? MIN_HEARTBEAT_WAIT : ttl.dividedBy(2);
        return ttl;
    }

    /** Below this a heartbeat to a busy but healthy controller would give up too soon. */
    private static final Duration MIN_HEARTBEAT_WAIT = Duration.ofSeconds(1);

    @Override
    public void heartbeat(String node) {
        http.callIdempotent(RestClient.Method.POST, "/v1/control/nodes/" + RestClient.enc(node) + "/heartbeat", null, VIEW,
                heartbeatWait);
    }

    @Override
    public Volume resolve(VolumeRef ref) {
        return http.call(RestClient.Method.POST, "/v1/control/resolve", new ControlBodies.Resolve(ref.name(), ref.service()), VOLUME);
    }

    @Override
    public Optional<Volume> volume(String id) {
        return Optional.ofNullable(http.call(RestClient.Method.GET, "/v1/control/volumes/" + RestClient.enc(id), null, VOLUME));
    }

    @Override
    public List<Volume> volumes() {
        return http.call(RestClient.Method.GET, "/v1/control/volumes", null, new TypeReference<List<Volume>>() { });
    }

    @Override
    public Optional<Claim> claimOf(String volumeId) {
        return Optional.ofNullable(http.call(RestClient.Method.GET, "/v1/control/volumes/" + RestClient.enc(volumeId) + "/claim",
                null, CLAIM));
    }

    @Override
    public Grant claim(String volumeId, String node, boolean explicit, boolean preempt) {
        return http.call(RestClient.Method.POST, "/v1/control/volumes/" + RestClient.enc(volumeId) + "/claim",
                new ControlBodies.ClaimRequest(node, explicit, preempt), GRANT);
    }

    @Override
    public void release(Grant grant) {
        http.call(RestClient.Method.POST, "/v1/control/volumes/" + RestClient.enc(grant.volumeId()) + "/release", grant, VIEW);
    }

    @Override
    public Map<String, String> lostGrants(String node, List<Grant> grants) {
        return http.call(RestClient.Method.POST, "/v1/control/nodes/" + RestClient.enc(node) + "/grants/lost",
                new ControlBodies.Grants(grants), new TypeReference<Map<String, String>>() { });
    }

    @Override
    public void gaveUp(Grant grant, String what) {
        http.call(RestClient.Method.POST, "/v1/control/nodes/" + RestClient.enc(grant.node()) + "/gave-up",
                new ControlBodies.GaveUp(grant, what), VIEW);
    }

    @Override
    public List<Event> events(VolumeRef ref, int limit) {
        String q = "/v1/events?limit=" + limit + (ref == null ? "" : "&volume=" + RestClient.enc(ref.name())
                + (ref.service() == null ? "" : "&service=" + RestClient.enc(ref.service())));
        return http.call(RestClient.Method.GET, q, null, new TypeReference<List<Event>>() { });
    }

    @Override
    public Optional<Attachment> attachment(String node, String volumeId) {
        return Optional.ofNullable(http.call(RestClient.Method.GET, nv(node, volumeId, "/attachment"), null, ATTACHMENT));
    }

    @Override
    public List<String> refs(String node, String volumeId) {
        return http.call(RestClient.Method.GET, nv(node, volumeId, "/refs"), null, STRINGS);
    }

    @Override
    public NodeState nodeState(String node) {
        return http.call(RestClient.Method.GET, "/v1/control/nodes/" + RestClient.enc(node) + "/state", null,
                new TypeReference<NodeState>() { });
    }

    @Override
    public void putAttachment(Grant grant, Attachment attachment) {
        http.call(RestClient.Method.PUT, nv(grant.node(), attachment.volumeId(), "/attachment"),
                new ControlBodies.GrantedAttachment(grant, attachment), VIEW);
    }

    @Override
    public void deleteAttachment(String node, String volumeId) {
        http.call(RestClient.Method.DELETE, nv(node, volumeId, "/attachment"), null, VIEW);
    }

    @Override
    public void recordMount(Grant grant, Attachment attachment, String ref, String filesystem) {
        http.call(RestClient.Method.POST, nv(grant.node(), attachment.volumeId(), "/mounted"),
                new ControlBodies.RecordMount(grant, attachment, ref, filesystem), VIEW);
    }

    @Override
    public void addRef(Grant grant, String ref) {
        http.call(RestClient.Method.POST, nv(grant.node(), grant.volumeId(), "/refs"), new ControlBodies.GrantedRef(grant, ref), VIEW);
    }

    @Override
    public int removeRef(String node, String volumeId, String ref) {
        return http.call(RestClient.Method.POST, nv(node, volumeId, "/refs/remove"), new ControlBodies.Ref(ref),
                new TypeReference<ControlBodies.Remaining>() { }).remaining();
    }

    @Override
    public void removeAllRefs(String node, String volumeId) {
        http.call(RestClient.Method.DELETE, nv(node, volumeId, "/refs"), null, VIEW);
    }

    @Override
    public void close() {
        http.close();
    }
}
