package dev.berth.app.ha;

import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link StoreTasksTest} on a real 1-member etcd, each controller with an etcd client of its own:
 * a task started through one controller is followed through the other, as with two
 * {@code berth serve --role controller} processes behind one etcd.
 */
class EtcdStoreTasksTest extends StoreTasksTest {
    private static EtcdCluster cluster;
    private EtcdSettings settings;

    @BeforeAll
    static void startEtcd() {
        EtcdCluster.assumeInstalled();
        cluster = EtcdCluster.start(1);
    }

    @AfterAll
    static void stopEtcd() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected StateStore openStore() {
        settings = EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-tasks-" + UUID.randomUUID() + "/");
        return EtcdStateStore.open(settings);
    }

    @Override
    protected StateStore reopenStore() {
        return EtcdStateStore.open(settings);
    }

    @Override
    protected StateStore controllerStore() {
        EtcdStateStore own = EtcdStateStore.open(settings);
        open.add(own);
        return own;
    }
}
