package dev.berth.store.etcd;

import dev.berth.store.etcd.testing.EtcdPerClass;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract, unchanged, against a 1-member etcd. */
class EtcdStateStoreTest extends EtcdContract {
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass(1);

    @Override
    protected EtcdPerClass etcd() {
        return ETCD;
    }
}
