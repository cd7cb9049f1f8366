package dev.berth.app.testing;

import dev.berth.store.etcd.testing.EtcdCluster;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The README's "High availability state" on one machine, every part a real process: 3 etcd members
 * (EtcdCluster), 2 controllers on that etcd ({@link Cluster} with one key and one certificate for
 * both), and agents {@code a} and {@code b}, each with both controller URLs and a pinned
 * fingerprint, sharing one loop pool. Leases are short (2 s) so that hand-overs and expiries are
 * quick; nothing here waits for a fixed time.
 */
public final class HaCluster implements AutoCloseable {
    public static final List<String> AGENTS = List.of("a", "b");
    public static final String LEASE_TTL = "2s";
    /** Short, so that a create or remove cut off by a crash is the reconcile's after 2 s. */
    public static final String TASK_WAIT = "1s";
    public final EtcdCluster etcd;
    public final Cluster cluster;
    private final Map<String, ServeProcess> agents = new LinkedHashMap<>();

    private HaCluster(EtcdCluster etcd, Cluster cluster) {
        this.etcd = etcd;
        this.cluster = cluster;
    }

    /** Starts etcd, both controllers (the first one first: it makes the shared key and certificate) and both agents. */
    public static HaCluster start(Path dir) throws Exception {
        EtcdCluster etcd = EtcdCluster.start(3);
        HaCluster ha = null;
        try {
            ha = new HaCluster(etcd, new Cluster(dir, 2, etcd.endpoints(), LEASE_TTL, TASK_WAIT));
            ha.startControllers();
            for (String node : AGENTS) {
                ha.startAgent(node);
            }
            return ha;
        } catch (Exception | Error e) {
            if (ha != null) {
                ha.close();
            } else {
                etcd.close();
            }
            throw e;
        }
    }

    public void startControllers() throws Exception {
        for (int i = 0; i < cluster.controllerCount(); i++) {
            cluster.startController(i, Map.of());
        }
    }

    public ServeProcess startAgent(String node) throws Exception {
        ServeProcess p = cluster.startAgent(node, "fingerprint: " + cluster.fingerprint());
        agents.put(node, p);
        return p;
    }

    public ServeProcess agent(String node) {
        return agents.get(node);
    }

    public ServeProcess controller(int i) {
        return cluster.controller(i);
    }

    /** CLI arguments for controller {@code i} as the admin. */
    public String[] admin(int i, String... args) {
        return cluster.admin(i, args);
    }

    public String[] onAgent(String node, String... args) {
        return cluster.onAgent(node, args);
    }

    /** Every log, for a failure message. */
    public String logs() throws Exception {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < cluster.controllerCount(); i++) {
            if (cluster.controller(i) != null) {
                out.append("\n--- controller ").append(i + 1).append(":\n").append(cluster.controller(i).log());
            }
        }
        for (var e : agents.entrySet()) {
            out.append("\n--- agent ").append(e.getKey()).append(":\n").append(e.getValue().log());
        }
        return out.toString();
    }

    /** Agents first (their mounts stay: kill -9 unmounts nothing), then controllers, then etcd. */
    @Override
    public void close() throws Exception {
        try {
            for (ServeProcess p : agents.values()) {
                p.close();
            }
            cluster.close();
        } finally {
            etcd.close();
        }
    }
}
