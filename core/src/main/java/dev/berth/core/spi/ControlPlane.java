package dev.berth.core.spi;

import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Node;
import dev.berth.core.model.Volume;
import dev.berth.core.service.VolumeRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a node (agent) asks of the controller, which owns the state store and decides who holds
 * what. In all-in-one mode the controller answers in-process; an agent on another host reaches it
 * over the REST API. Every call may throw the core errors; a node whose lease has lapsed gets
 * {@link dev.berth.core.error.NotFound} from {@link #heartbeat} and registers again.
 */
public interface ControlPlane {

    /** Registers (or re-registers) a node and binds it to a lease; returns the lease TTL. */
    Duration register(Node node);

    /** Renews the node's lease; NotFound when it has expired. */
    void heartbeat(String node);

    Volume resolve(VolumeRef ref);

    Optional<Volume> volume(String id);

    /** Every volume (for reconciliation). */
    List<Volume> volumes();

    Optional<Claim> claimOf(String volumeId);

    /**
     * Takes (or confirms) the claim on a volume for {@code node}, bound to the node's lease.
     * AttachedElsewhere when another live node holds it.
     */
    Claim claim(String volumeId, String node, boolean explicit);

    /**
     * Releases the claim if {@code node} holds it, and drops the node's attachment record of the
     * volume (one transaction).
     */
    void release(String volumeId, String node);

    Optional<Attachment> attachment(String node, String volumeId);

    List<String> refs(String node, String volumeId);

    /** This node's attachments and mount references. */
    NodeState nodeState(String node);

    void putAttachment(String node, Attachment attachment);

    void deleteAttachment(String node, String volumeId);

    /**
     * Records a completed first mount: attachment, first reference and (if not null) the
     * filesystem the volume was mounted with, in one transaction.
     */
    void recordMount(String node, Attachment attachment, String ref, String filesystem);

    void addRef(String node, String volumeId, String ref);

    /** Drops one mount reference; returns how many are left for this node and volume. */
    int removeRef(String node, String volumeId, String ref);

    void removeAllRefs(String node, String volumeId);

    /**
     * A node's records by volume id: attachments, mount references, and the claims it holds (so a
     * restarting node learns in one call which volumes concern it, not one call per volume).
     */
    record NodeState(Map<String, Attachment> attachments, Map<String, List<String>> refs, Map<String, Claim> claims) {
        public NodeState {
            attachments = Map.copyOf(attachments);
            refs = Map.copyOf(refs);
            claims = claims == null ? Map.of() : Map.copyOf(claims);
        }
    }
}
