package dev.berth.app.ha;

import dev.berth.core.spi.StateStore;
import dev.berth.store.etcd.EtcdSettings;
import dev.berth.store.etcd.EtcdStateStore;
import dev.berth.store.etcd.testing.EtcdPerClass;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ElectionTest} on a real 1-member etcd, every participant with an etcd client of its own
 * (as separate controller processes have): the election uses only the StateStore SPI, so it must
 * behave the same. TTL 2 s, etcd's minimum.
 */
class EtcdElectionTest extends ElectionTest {
    @RegisterExtension
    static final EtcdPerClass ETCD = new EtcdPerClass(1);
    private EtcdSettings settings;

    @Override
    protected StateStore openStore() {
        settings = ETCD.freshNamespace("election");
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
