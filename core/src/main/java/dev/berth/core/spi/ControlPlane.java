package dev.berth.core.spi;

import dev.berth.core.model.Attachment;
import dev.berth.core.model.Claim;
import dev.berth.core.model.Grant;
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
 * {@link dev.berth.core.error.NotFound} from {@link #heartbeat} and registers again. Every write
 * about a volume carries the node's {@link Grant} and is compared with the claim in the same
 * transaction: a stale grant gets {@link dev.berth.core.error.Fenced} and nothing is written.
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
     * Takes (or confirms) the claim on a volume for {@code node} and returns its grant.
     * AttachedElsewhere when another live node holds it, unless {@code preempt}; a claim whose
     * holder is dead is taken over (after the grace, fenced, with an event).
     */
    Grant claim(String volumeId, String node, boolean explicit, boolean preempt);

    /**
     * Releases the claim if {@code grant} still stands for it, and drops the node's attachment
     * record of the volume (one transaction). A stale grant releases nothing and is not an error.
     */
    void release(Grant grant);

    Optional<Attachment> attachment(String node, String volumeId);

    List<String> refs(String node, String volumeId);

    /** This node's attachments, mount references and claims (as grants). */
    NodeState nodeState(String node);

    void putAttachment(Grant grant, Attachment attachment);

    void deleteAttachment(String node, String volumeId);

    /**
     * Records a completed first mount: attachment, first reference and (if not null) the
     * filesystem the volume was mounted with, in one transaction.
     */
    void recordMount(Grant grant, Attachment attachment, String ref, String filesystem);

    void addRef(Grant grant, String ref);

    /** Drops one mount reference; returns how many are left for this node and volume. */
    int removeRef(String node, String volumeId, String ref);

    void removeAllRefs(String node, String volumeId);

    /**
     * Which of {@code grants} no longer stand (taken over, preempted, released), by volume id, each
     * with why in words. The node fences those volumes and never touches them again.
     */
    Map<String, String> lostGrants(String node, List<Grant> grants);

    /**
     * A node reports that it gave up a volume (fenced itself, or found at start that it lost it):
     * recorded as an event, and the claim released if the grant still stands for it.
     */
    void gaveUp(Grant grant, String what);

    /**
     * A node's records by volume id: attachments, mount references, and the claims it holds (so a
     * restarting node learns in one call which volumes concern it, not one call per volume).
     */
    record NodeState(Map<String, Attachment> attachments, Map<String, List<String>> refs, Map<String, Grant> claims) {
        public NodeState {
            attachments = Map.copyOf(attachments);
            refs = Map.copyOf(refs);
            claims = claims == null ? Map.of() : Map.copyOf(claims);
        }
    }
}
