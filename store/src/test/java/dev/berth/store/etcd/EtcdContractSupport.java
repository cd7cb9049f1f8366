package dev.berth.store.etcd;

import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.util.UUID;

/** Opens stores for the contract suites: each test its own key prefix on the class's cluster. */
final class EtcdContractSupport {
    private EtcdContractSupport() {
    }

    static EtcdSettings freshNamespace(EtcdCluster cluster) {
        return EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-test-" + UUID.randomUUID() + "/");
    }

    /**
     * A store over an empty namespace that was written once (a put and its delete): the contract
     * counts revisions from the first read on, and a never-written namespace says 0 there (see
     * {@link EtcdStateStore#revision()}; EtcdStateStoreIT#neverWrittenNamespaceIsAtRevisionZero).
     */
    static EtcdStateStore openEmpty(EtcdSettings settings) {
        EtcdStateStore store = EtcdStateStore.open(settings);
        store.put("init", new byte[0]);
        store.delete("init");
        return store;
    }
}
