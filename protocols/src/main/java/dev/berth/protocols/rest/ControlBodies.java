package dev.berth.protocols.rest;

import dev.berth.core.model.Grant;
import java.util.List;

import dev.berth.core.model.Attachment;

/** Request bodies of the node-to-controller routes under {@code /v1/control}. */
public final class ControlBodies {
    private ControlBodies() {
    }

    public record Resolve(String name, String service) {
        static final String EXAMPLE = "{\"name\":\"db\",\"service\":null}";
    }

    /** {@code preempt} may be left out (agents before grants never preempt). */
    public record ClaimRequest(String node, boolean explicit, Boolean preempt) {
        static final String EXAMPLE = "{\"node\":\"host1\",\"explicit\":false,\"preempt\":false}";
    }

    static final String GRANT = "{\"volumeId\":\"…\",\"node\":\"host1\",\"epoch\":1,\"revision\":42,\"explicit\":false}";

    public record GrantedAttachment(Grant grant, Attachment attachment) {
        static final String EXAMPLE = "{\"grant\":" + GRANT + ",\"attachment\":{\"volumeId\":\"…\",\"device\":\"/dev/loop0\","
                + "\"block\":true}}";
    }

    public record GrantedRef(Grant grant, String ref) {
        static final String EXAMPLE = "{\"grant\":" + GRANT + ",\"ref\":\"container-1\"}";
    }

    public record Grants(List<Grant> grants) {
        static final String EXAMPLE = "{\"grants\":[" + GRANT + "]}";
    }

    public record GaveUp(Grant grant, String what) {
        static final String EXAMPLE = "{\"grant\":" + GRANT + ",\"what\":\"unmounted it\"}";
    }

    public record NodeOnly(String node) {
        static final String EXAMPLE = "{\"node\":\"host1\"}";
    }

    public record Ref(String ref) {
        static final String EXAMPLE = "{\"ref\":\"container-1\"}";
    }

    public record RecordMount(Grant grant, Attachment attachment, String ref, String filesystem) {
        static final String EXAMPLE = "{\"grant\":" + GRANT + ",\"attachment\":{\"volumeId\":\"…\",\"device\":\"/dev/loop0\",\"block\":true,"
                + "\"mountPoint\":\"/var/lib/berth/volumes/db\"},\"ref\":\"c1\",\"filesystem\":\"ext4\"}";
    }

    public record Registered(long leaseTtlMs) {
    }

    public record Remaining(int remaining) {
    }
}
