package dev.berth.store.embedded;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.Op;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Rejects malformed transactions before they wait for the write lock. */
public final class TxnCheck {
    private TxnCheck() {
    }

    public static void check(List<Compare> compares, List<Op> ops) {
        if (compares == null || ops == null) {
            throw new InvalidArgument("a transaction needs a list of compares and a list of operations",
                    "pass List.of() for none");
        }
        for (Compare compare : compares) {
            if (compare == null) {
                throw new InvalidArgument("a transaction has a null compare", "leave it out");
            }
            Keys.check(compare.key());
            if (compare.revision() < 0) {
                throw new InvalidArgument("compare on '" + compare.key() + "' expects revision "
                        + compare.revision(), "use 0 for \"absent\" or a revision read from the store");
            }
        }
        // etcd refuses these too ("duplicate key given in txn request"): the outcome would depend on op order.
        Set<String> seen = new HashSet<>();
        for (Op op : ops) {
            if (op == null) {
                throw new InvalidArgument("a transaction has a null operation", "leave it out");
            }
            Keys.check(op.key());
            if (!seen.add(op.key())) {
                throw new InvalidArgument("key '" + op.key() + "' appears in more than one operation of a transaction",
                        "use one operation per key");
            }
            if (op instanceof Op.Put put) {
                if (put.value() == null) {
                    throw new InvalidArgument("put of '" + put.key() + "' has no value", "store an empty array instead");
                }
                if (put.lease() < 0) {
                    throw new InvalidArgument("put of '" + put.key() + "' names lease " + put.lease(),
                            "use 0 for no lease or an id returned by grant");
                }
            }
        }
    }
}
