package dev.berth.core.ha;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.KeyValue;
import dev.berth.core.spi.StateStore.Op;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who leads each background job, on the state store alone (any store that passes the contract,
 * so the embedded one and etcd alike): {@code leaders/<job>} holds the leader's controller id,
 * put only if absent and bound to the leader's controller lease. Exactly one controller holds it;
 * when the leader dies its lease expires, the key goes with it, and the next campaign wins.
 */
public final class Election {
    private static final Pattern JOB = Pattern.compile("[a-z0-9][a-z0-9.-]{0,99}");
    private final StateStore store;
    private final ControllerLease lease;
    private final byte[] me;

    public Election(StateStore store, ControllerLease lease) {
        this.store = store;
        this.lease = lease;
        this.me = lease.id().getBytes(StandardCharsets.UTF_8);
    }

    public ControllerLease lease() {
        return lease;
    }

    /**
     * Campaigns for {@code job}: the term if this controller leads it now (won now or before),
     * else empty. Never blocks beyond the store calls' deadlines.
     */
    public Optional<Term> lead(String job) {
        String key = StateKeys.leader(checkJob(job));
        long leaseId = lease.leaseId();
        if (!lease.trusts(leaseId)) {
            return Optional.empty();
        }
        Optional<KeyValue> held = store.get(key);
        if (held.isPresent()) {
            return mine(job, held.get(), leaseId);
        }
        try {
            StateStore.TxnResult r = store.txn(List.of(Compare.absent(key)), List.of(new Op.Put(key, me, leaseId)));
            if (r.succeeded()) {
                // A new key's create revision is the revision of the write that made it.
                return Optional.of(new Term(job, r.revision(), leaseId, lease));
            }
        } catch (NotFound expired) {
            return Optional.empty(); // the lease ended meanwhile; the lease loop registers again
        }
        return store.get(key).flatMap(kv -> mine(job, kv, leaseId));
    }

    /** Whether {@code term} still holds {@code leaders/<job>} in the store and by this controller's clock. */
    public boolean holds(Term term) {
        if (!term.valid()) {
            return false;
        }
        return store.get(StateKeys.leader(term.job()))
                .filter(kv -> kv.createRevision() == term.revision() && Arrays.equals(kv.value(), me))
                .isPresent() && term.valid();
    }

    /** The id of the controller leading {@code job}, if any. */
    public Optional<String> leader(String job) {
        return store.get(StateKeys.leader(checkJob(job))).map(kv -> new String(kv.value(), StandardCharsets.UTF_8));
    }

    private Optional<Term> mine(String job, KeyValue kv, long leaseId) {
        if (kv.lease() == leaseId && Arrays.equals(kv.value(), me)) {
            return Optional.of(new Term(job, kv.createRevision(), leaseId, lease));
        }
        return Optional.empty();
    }

    static String checkJob(String job) {
        if (job == null || !JOB.matcher(job).matches()) {
            throw new InvalidArgument("job name '" + job + "' is not valid",
                    "use 1-100 lower-case letters, digits, '.' or '-'");
        }
        return job;
    }
}
