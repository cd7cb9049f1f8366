package dev.berth.app.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every scalar configuration key Berth knows (services are a structured section of their own). */
public final class Keys {
    public static final Key NODE = new Key("node", "", "node id; empty means the host name");
    public static final Key STATE_DIR = new Key("stateDir", "/var/lib/berth/state", "embedded state store folder");
    public static final Key SOCKET = new Key("socket", "/run/berth/berth.sock", "local API socket (mode 0600)");
    public static final Key MOUNT_ROOT = new Key("mountRoot", "/var/lib/berth/volumes", "where volumes are mounted");
    public static final Key LEASE_TTL = new Key("leaseTtl", "5s", "node lease time-to-live");
    public static final Key DEFAULT_SIZE = new Key("volumes.defaultSize", "16G", "size of a volume created without one");
    public static final Key DEFAULT_FS = new Key("volumes.defaultFsType", "ext4", "filesystem of a volume created without one");
    public static final Key DEFAULT_SERVICE = new Key("volumes.defaultService", "local", "service used when none is named");
    public static final Key DOCKER_ENABLED = new Key("docker.enabled", "true", "serve Docker's volume plugin protocol");
    public static final Key DOCKER_SOCKET = new Key("docker.socket", "/run/docker/plugins/berth.sock", "Docker plugin socket");
    public static final Key DOCKER_GROUP = new Key("docker.group", "docker", "group owning the Docker plugin socket, if it exists");

    public static final List<Key> ALL = List.of(NODE, STATE_DIR, SOCKET, MOUNT_ROOT, LEASE_TTL, DEFAULT_SIZE,
            DEFAULT_FS, DEFAULT_SERVICE, DOCKER_ENABLED, DOCKER_SOCKET, DOCKER_GROUP);

    /** The default service when the file has no {@code services} section. */
    public static final String DEFAULT_POOL = "/var/lib/berth/pool";

    private Keys() {
    }

    public static Map<String, Key> byName() {
        Map<String, Key> m = new LinkedHashMap<>();
        ALL.forEach(k -> m.put(k.name(), k));
        return m;
    }
}
