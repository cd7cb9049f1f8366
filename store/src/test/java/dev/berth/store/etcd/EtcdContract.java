package dev.berth.store.etcd;

import dev.berth.core.spi.StateStore;
import dev.berth.store.StateStoreContract;
import dev.berth.store.etcd.testing.EtcdPerClass;

/**
 * The store contract, unchanged, against a real etcd: one cluster per class, a key namespace per
 * test. Subclasses only choose the cluster size.
 */
abstract class EtcdContract extends StateStoreContract {
    private EtcdSettings settings;
    private EtcdStateStore current;

    protected abstract EtcdPerClass etcd();

    @Override
    protected StateStore open() {
        settings = EtcdPerClass.namespace(etcd().cluster(), "test");
        current = EtcdStateStore.open(settings);
        return current;
    }

    @Override
    protected StateStore reopen() {
        current.close();
        current = EtcdStateStore.open(settings);
        return current;
    }
}
