package dev.berth.app.ha;

import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import dev.berth.store.etcd.testing.EtcdPerClass;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link StoreTasksTest} on a real 1-member etcd, each controller with an etcd client of its own:
 * a task started through one controller is followed through the other, as with two
 * {@code berth serve --role controller} processes behind one etcd.
 */
class EtcdStoreTasksTest extends StoreTasksTest {
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass(1);
    private EtcdSettings settings;

    @Override
    protected StateStore openStore() {
        settings = ETCD.freshNamespace("tasks");
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
