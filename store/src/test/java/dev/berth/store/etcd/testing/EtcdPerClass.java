package dev.berth.store.etcd.testing;

import dev.berth.store.etcd.EtcdSettings;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One etcd cluster for a test class ({@code @RegisterExtension static final EtcdPerClass ETCD =
 * new EtcdPerClass(1);}), started before its first test and stopped after its last; each test
 * takes a key namespace of its own with {@link #freshNamespace}, so tests share the cluster but
 * never each other's keys. Skips or fails as {@link EtcdCluster#start} does without etcd.
 */
public final class EtcdPerClass implements BeforeAllCallback, AfterAllCallback {
    private final int members;
    private EtcdCluster cluster;

    public EtcdPerClass(int members) {
        if (members < 1) {
            throw new IllegalArgumentException("an etcd cluster needs at least one member: " + members);
        }
        this.members = members;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster = EtcdCluster.start(members);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    public EtcdCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the etcd cluster runs only between the class's first and last test");
        }
        return cluster;
    }

    /** Settings for this cluster under a prefix no other test uses, e.g. {@code /berth-tasks-<uuid>/}. */
    public EtcdSettings freshNamespace(String what) {
        return namespace(cluster(), what);
    }

    /** Settings for {@code cluster} under a prefix no other test uses. */
    public static EtcdSettings namespace(EtcdCluster cluster, String what) {
        return EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-" + what + "-" + UUID.randomUUID() + "/");
    }
}
