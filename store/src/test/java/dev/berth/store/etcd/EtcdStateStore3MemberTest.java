package dev.berth.store.etcd;

import dev.berth.store.etcd.testing.EtcdPerClass;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract, unchanged, against a 3-member etcd. */
class EtcdStateStore3MemberTest extends EtcdContract {
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass(3);

    @Override
    protected EtcdPerClass etcd() {
        return ETCD;
    }
}
