package dev.berth.core.ha;

import dev.berth.core.service.StateKeys;
import dev.berth.core.spi.StateStore;

/**
 * One controller's lead of one job, from the moment it put {@code leaders/<job>} until its lease
 * ends. {@code revision} is the create revision of that key: unique per term, so it fences.
 */
public final class Term {
    private final String job;
    private final long revision;
    private final long leaseId;
    private final ControllerLease lease;

    Term(String job, long revision, long leaseId, ControllerLease lease) {
        this.job = job;
        this.revision = revision;
        this.leaseId = leaseId;
        this.lease = lease;
    }

    public String job() {
        return job;
    }

    public long revision() {
        return revision;
    }

    /**
     * Whether this term may still act, by this controller's own clock: false from {@code last
     * renewal sent + TTL − margin} on, which is before any other controller can lead the job.
     * A job that runs long checks this between its steps.
     */
    public boolean valid() {
        return lease.trusts(leaseId);
    }

    /**
     * A compare that holds only while this term lasts: add it to a job's store writes so that a
     * leader deposed in the middle of a step (a pause longer than the margin) cannot change anything.
     */
    public StateStore.Compare fence() {
        return StateStore.Compare.createRevision(StateKeys.leader(job), revision);
    }

    @Override
    public String toString() {
        return "term " + revision + " of job " + job + " (controller " + lease.id() + ")";
    }
}
