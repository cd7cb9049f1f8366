package dev.berth.core.service;

import java.util.ArrayList;
import java.util.List;

/**
 * What one run of the controller's reconcile found and did, one line each.
 *
 * @param creates  creates that were cut off: completed, dropped, or still in progress (younger than the bound)
 * @param removes  removes that were cut off after their mark, and finished
 * @param unowned  backend objects that no record or create in progress owns (left in place)
 * @param failures steps that failed; the next run tries them again
 */
public record ReconcileReport(List<String> creates, List<String> removes, List<String> unowned, List<String> failures) {
    public ReconcileReport {
        creates = List.copyOf(creates);
        removes = List.copyOf(removes);
        unowned = List.copyOf(unowned);
        failures = List.copyOf(failures);
    }

    /** Every line, for the log. */
    public List<String> lines() {
        List<String> all = new ArrayList<>(creates);
        all.addAll(removes);
        all.addAll(unowned);
        all.addAll(failures);
        return all;
    }
}
