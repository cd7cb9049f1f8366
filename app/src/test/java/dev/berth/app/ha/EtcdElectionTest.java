package dev.berth.app.ha;

import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link ElectionTest} on a real 1-member etcd, every participant with an etcd client of its own
 * (as separate controller processes have): the election uses only the StateStore SPI, so it must
 * behave the same. TTL 2 s, etcd's minimum.
 */
class EtcdElectionTest extends ElectionTest {
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
        settings = EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-election-" + UUID.randomUUID() + "/");
        return EtcdStateStore.open(settings);
    }

    @Override
    protected StateStore participantStore() {
        EtcdStateStore own = EtcdStateStore.open(settings);
        open.add(own);
        return own;
    }

    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }

    @Override
    protected int rounds() {
        return 3;
    }
}
