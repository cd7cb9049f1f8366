package dev.berth.app.daemon;

import dev.berth.core.controller.ControllerService;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * The controller-side reconcile as a leader job: finishes creates and removes cut off by a crash
 * and reports backend objects no record owns. Its report is logged only when it differs from the
 * last one, so an unowned image left in the pool is said once, not every minute.
 */
final class ReconcileJob implements Runnable {
    private static final Logger LOG = Logger.getLogger(ReconcileJob.class.getName());
    private final ControllerService controller;
    private List<String> last = List.of();

    ReconcileJob(ControllerService controller) {
        this.controller = Objects.requireNonNull(controller, "controller");
    }

    @Override
    public void run() {
        List<String> lines = controller.reconcile().lines();
        if (!lines.equals(last)) {
            lines.forEach(line -> LOG.info("reconcile: " + line));
            last = lines;
        }
    }
}
