package dev.berth.app.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every scalar configuration key Berth knows (services are a structured section of their own). */
public final class Keys {
    public static final Key ROLE = new Key("role", "all-in-one", "all-in-one, controller or agent");
    public static final Key NODE = new Key("node", "", "node id; empty means the host name");
    public static final Key STATE_DIR = new Key("stateDir", "/var/lib/berth/state", "embedded state store folder");
    public static final Key SOCKET = new Key("socket", "/run/berth/berth.sock", "local API socket (mode 0600)");
    public static final Key MOUNT_ROOT = new Key("mountRoot", "/var/lib/berth/volumes", "where volumes are mounted");
    public static final Key LEASE_TTL = new Key("leaseTtl", "5s", "node and controller lease time-to-live");
    public static final Key DEFAULT_SIZE = new Key("volumes.defaultSize", "16G", "size of a volume created without one");
    public static final Key DEFAULT_FS = new Key("volumes.defaultFsType", "ext4", "filesystem of a volume created without one");
    public static final Key DEFAULT_SERVICE = new Key("volumes.defaultService", "local", "service used when none is named");
    public static final Key API_LISTEN = new Key("api.listen", "",
            "TCP address of the REST API (host:port); empty: off for all-in-one, 0.0.0.0:7979 for a controller");
    public static final Key API_TLS = new Key("api.tls", "true", "TLS on the TCP API (false only with a warning)");
    public static final Key API_CERT = new Key("api.cert", "", "PEM certificate; empty: generated in <stateDir>/tls");
    public static final Key API_KEY = new Key("api.key", "", "PEM private key of api.cert");
    public static final Key API_TASK_WAIT = new Key("api.taskWait", "30s",
            "how long a change may run before the API answers 202 with a task id (and a Docker call waits for a volume still reconciled at start)");
    public static final Key AUTH_ENABLED = new Key("auth.enabled", "true", "require tokens on the TCP API");
    public static final Key AUTH_KEY = new Key("auth.key", "", "HS256 key file; empty: <stateDir>/auth/hs256.key");
    public static final Key AUTH_PUBLIC_KEY = new Key("auth.publicKey", "", "PEM public key for RS256/ES256 tokens instead");
    public static final Key AUTH_ALLOW = new Key("auth.allow", "", "subjects allowed (comma-separated, * globs); empty: all");
    public static final Key AUTH_DENY = new Key("auth.deny", "", "subjects denied (comma-separated, * globs)");
    public static final Key AUTH_MAX_TOKEN_TTL = new Key("auth.maxTokenTtl", "30d",
            "longest token lifetime (exp - iat) the TCP API accepts and `berth token new` makes");
    public static final Key HTTP_HEADER_TIMEOUT = new Key("http.headerTimeout", "20s",
            "every listener: time a connection has for a request's line and headers, and again for its body");
    public static final Key HTTP_IDLE_TIMEOUT = new Key("http.idleTimeout", "2m",
            "every listener: an idle connection is closed after this (clients reconnect)");
    public static final Key HTTP_MAX_CONNECTIONS = new Key("http.maxConnections", "1024",
            "every listener: connections open at once; more are closed at once");
    public static final Key CONTROLLER = new Key("controller.url", "", "the controller(s) an agent uses: https://HOST:7979, or a comma-separated list tried in order (fail-over)");
    public static final Key CONTROLLER_TOKEN = new Key("controller.token", "",
            "token an agent sends to the controller (prefer controller.tokenFile)");
    public static final Key CONTROLLER_TOKEN_FILE = new Key("controller.tokenFile", "",
            "file holding the agent's node token (mode 0600); keeps it off command lines");
    public static final Key CONTROLLER_CA = new Key("controller.ca", "", "CA/certificate PEM the agent trusts");
    public static final Key CONTROLLER_FINGERPRINT = new Key("controller.fingerprint", "",
            "pinned certificate fingerprint (sha256:…) the agent trusts");
    public static final Key KNOWN_HOSTS = new Key("knownHosts", "", "trust-on-first-use file; empty: ~/.berth/known_hosts");
    public static final Key DOCKER_ENABLED = new Key("docker.enabled", "true", "serve Docker's volume plugin protocol");
    public static final Key DOCKER_SOCKET = new Key("docker.socket", "/run/docker/plugins/berth.sock", "Docker plugin socket");
    public static final Key DOCKER_GROUP = new Key("docker.group", "docker", "group owning the Docker plugin socket, if it exists");
    public static final Key DOCKER_ENGINE_SOCKET = new Key("docker.engineSocket", "/var/run/docker.sock",
            "the Docker engine's API socket, to stop the containers using a volume when the node fences itself; empty: no Docker here");
    public static final Key HOST_SYSCALLS = new Key("host.syscalls", "native",
            "loop devices and mounts: native (system calls) or tools (losetup, mount, umount)");
    public static final Key STORE = new Key("store", "embedded",
            "state store: embedded (SQLite in stateDir) or etcd://HOST:PORT,... (etcds:// for TLS)");
    public static final Key STORE_ETCD_CA = new Key("store.etcd.ca", "", "etcds: CA PEM the etcd members' certificates are checked against");
    public static final Key STORE_ETCD_CERT = new Key("store.etcd.cert", "", "etcds: client certificate PEM (etcd --client-cert-auth)");
    public static final Key STORE_ETCD_KEY = new Key("store.etcd.key", "", "etcds: private key PEM (PKCS#8) of store.etcd.cert");
    public static final Key STORE_ETCD_USER = new Key("store.etcd.user", "", "etcd user (with store.etcd.passwordFile)");
    public static final Key STORE_ETCD_PASSWORD_FILE = new Key("store.etcd.passwordFile", "",
            "file holding the etcd user's password (mode 0600)");
    public static final Key STORE_ETCD_TIMEOUT = new Key("store.etcd.timeout", "5s", "deadline of every etcd call");
    public static final Key STORE_ETCD_PREFIX = new Key("store.etcd.prefix", "/berth/", "key prefix of this Berth cluster in etcd");

    public static final Key FENCING_GRACE = new Key("fencing.grace", "2s",
            "controller: how long a claim's holder must be seen dead (lease ended) before a takeover; >= 1s");
    public static final Key FENCING_MARGIN = new Key("fencing.margin", "auto",
            "agent: give every volume up this long before lastAck + leaseTtl (auto = leaseTtl/4, at most 1s)");
    public static final Key FENCING_TAKEOVER_WAIT = new Key("fencing.takeoverWait", "90s",
            "agent: how long a mount or attach waits for a dead holder's takeover (Docker allows a Mount 2 min)");

    public static final Key CSI_ENABLED = new Key("csi.enabled", "true",
            "serve CSI (Identity, plus Controller on controllers and Node on agents; all three all-in-one)");
    public static final Key CSI_SOCKET = new Key("csi.socket", "",
            "CSI socket: unix:///…/x.sock or a path ending in .sock; env CSI_ENDPOINT too; empty: csi.sock in the folder of `socket` (/run/berth/csi.sock)");
    public static final Key CSI_ZONE = new Key("csi.zone", "",
            "zone reported as topology.berth.dev/zone (nodes: where they are; controllers: where their pools are); empty: no topology");
    public static final Key CSI_MAX_VOLUMES = new Key("csi.maxVolumesPerNode", "0",
            "NodeGetInfo's max_volumes_per_node (0: the orchestrator decides)");

    public static final List<Key> ALL = List.of(ROLE, NODE, STATE_DIR, SOCKET, MOUNT_ROOT, LEASE_TTL, DEFAULT_SIZE,
            DEFAULT_FS, DEFAULT_SERVICE, API_LISTEN, API_TLS, API_CERT, API_KEY, API_TASK_WAIT, AUTH_ENABLED, AUTH_KEY,
            AUTH_PUBLIC_KEY, AUTH_ALLOW, AUTH_DENY, AUTH_MAX_TOKEN_TTL, HTTP_HEADER_TIMEOUT, HTTP_IDLE_TIMEOUT,
            HTTP_MAX_CONNECTIONS, CONTROLLER, CONTROLLER_TOKEN, CONTROLLER_TOKEN_FILE, CONTROLLER_CA, CONTROLLER_FINGERPRINT,
            KNOWN_HOSTS, DOCKER_ENABLED, DOCKER_SOCKET, DOCKER_GROUP, DOCKER_ENGINE_SOCKET, HOST_SYSCALLS,
            STORE, STORE_ETCD_CA, STORE_ETCD_CERT, STORE_ETCD_KEY, STORE_ETCD_USER, STORE_ETCD_PASSWORD_FILE,
            STORE_ETCD_TIMEOUT, STORE_ETCD_PREFIX, FENCING_GRACE, FENCING_MARGIN, FENCING_TAKEOVER_WAIT,
            CSI_ENABLED, CSI_SOCKET, CSI_ZONE, CSI_MAX_VOLUMES);

    /** Keys whose values are secrets: `berth env` does not print them. */
    public static final List<Key> SECRET = List.of(CONTROLLER_TOKEN);

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
