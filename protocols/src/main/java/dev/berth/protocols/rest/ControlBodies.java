package dev.berth.protocols.rest;

import dev.berth.core.model.Attachment;

/** Request bodies of the node-to-controller routes under {@code /v1/control}. */
public final class ControlBodies {
    private ControlBodies() {
    }

    public record Resolve(String name, String service) {
        static final String EXAMPLE = "{\"name\":\"db\",\"service\":null}";
    }

    public record ClaimRequest(String node, boolean explicit) {
        static final String EXAMPLE = "{\"node\":\"host1\",\"explicit\":false}";
    }

    public record NodeOnly(String node) {
        static final String EXAMPLE = "{\"node\":\"host1\"}";
    }

    public record Ref(String ref) {
        static final String EXAMPLE = "{\"ref\":\"container-1\"}";
    }

    public record RecordMount(Attachment attachment, String ref, String filesystem) {
        static final String EXAMPLE = "{\"attachment\":{\"volumeId\":\"…\",\"device\":\"/dev/loop0\",\"block\":true,"
                + "\"mountPoint\":\"/var/lib/berth/volumes/db\"},\"ref\":\"c1\",\"filesystem\":\"ext4\"}";
    }

    public record Registered(long leaseTtlMs) {
    }

    public record Remaining(int remaining) {
    }
}
