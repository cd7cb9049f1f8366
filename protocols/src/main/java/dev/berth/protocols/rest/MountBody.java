package dev.berth.protocols.rest;

/** Body of mount/unmount calls: the reference that names the user of the mount. */
public record MountBody(String ref) {
    static final String EXAMPLE = "{\"ref\":\"my-app\"}";
}
