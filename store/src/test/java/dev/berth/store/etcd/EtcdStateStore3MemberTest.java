package dev.berth.store.etcd;

import dev.berth.core.spi.StateStore;
import dev.berth.store.StateStoreContract;
import dev.berth.store.etcd.testing.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract, unchanged, against a 3-member etcd (one cluster for the class, a key prefix per test). */
class EtcdStateStore3MemberTest extends StateStoreContract {
    private static EtcdCluster cluster;
    private EtcdSettings settings;
    private EtcdStateStore current;

    @BeforeAll
    static void startCluster() {
        cluster = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected StateStore open() {
        settings = EtcdContractSupport.freshNamespace(cluster);
        current = EtcdContractSupport.openEmpty(settings);
        return current;
    }

    @Override
    protected StateStore reopen() {
        current.close();
        current = EtcdStateStore.open(settings);
        return current;
    }
}
