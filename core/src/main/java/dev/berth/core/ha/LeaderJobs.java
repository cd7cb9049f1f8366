package dev.berth.core.ha;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Background jobs that must run on one controller at a time: each job runs every {@code interval}
 * only while this controller leads it ({@link Election}); every controller campaigns for every job
 * once per poll, so when the leader dies another one takes the job over within the lease TTL plus
 * the store's expiry lag plus one poll. Right before each run the lead is confirmed in the store
 * and by the lease's clock; a job that throws is logged and runs again at its next turn.
 *
 * <p>A job that changes things should fence its store writes with {@link Term#fence()} (the
 * {@code Consumer<Term>} form) and check {@link Term#valid()} between long steps.
 */
public final class LeaderJobs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeaderJobs.class.getName());
    private static final Duration MIN_POLL = Duration.ofMillis(100);
    private final Election election;
    private final Duration poll;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    public LeaderJobs(Election election) {
        this(election, pollFor(election.lease().ttl()));
    }

    public LeaderJobs(Election election, Duration poll) {
        if (poll.compareTo(MIN_POLL) < 0) {
            throw new IllegalArgumentException("poll interval below " + MIN_POLL.toMillis() + " ms: " + poll);
        }
        this.election = election;
        this.poll = poll;
    }

    /** How often a controller campaigns for each job: TTL/10, at least 100 ms. */
    public static Duration pollFor(Duration ttl) {
        Duration tenth = ttl.dividedBy(10);
        return tenth.compareTo(MIN_POLL) < 0 ? MIN_POLL : tenth;
    }

    public Duration poll() {
        return poll;
    }

    /** Runs {@code job} every {@code interval} while this controller leads {@code name}. */
    public void every(String name, Duration interval, Runnable job) {
        every(name, interval, term -> job.run());
    }

    /** As {@link #every(String, Duration, Runnable)}, handing the job its term to fence its writes with. */
    public synchronized void every(String name, Duration interval, Consumer<Term> job) {
        Election.checkJob(name);
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("job " + name + " needs a positive interval: " + interval);
        }
        if (closed) {
            throw new IllegalStateException("the job runner is closed");
        }
        threads.add(Thread.ofVirtual().name("berth-job " + name).start(() -> loop(name, interval, job)));
    }

    private void loop(String name, Duration interval, Consumer<Term> job) {
        Term term = null;
        long nextRun = 0;
        String lastProblem = null;
        while (!closed) {
            try {
                Optional<Term> now = election.lead(name);
                if (now.isPresent() && (term == null || term.revision() != now.get().revision())) {
                    LOG.info("controller " + election.lease().id() + " leads job " + name);
                    nextRun = System.nanoTime();
                } else if (now.isEmpty() && term != null) {
                    LOG.info("controller " + election.lease().id() + " no longer leads job " + name);
                }
                term = now.orElse(null);
                if (term != null && System.nanoTime() - nextRun >= 0 && election.holds(term)) {
                    nextRun = System.nanoTime() + interval.toNanos();
                    run(name, job, term);
                }
                lastProblem = null;
            } catch (RuntimeException e) {
                if (!String.valueOf(e.getMessage()).equals(lastProblem)) {
                    LOG.warning("job " + name + ": cannot campaign (will retry every " + poll.toMillis() + " ms): " + e);
                    lastProblem = String.valueOf(e.getMessage());
                }
            }
            long sleep = poll.toNanos();
            if (term != null) {
                sleep = Math.max(0, Math.min(sleep, nextRun - System.nanoTime()));
            }
            try {
                Thread.sleep(Duration.ofNanos(Math.max(sleep, 1_000_000)));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void run(String name, Consumer<Term> job, Term term) {
        try {
            job.accept(term);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "job " + name + " failed; it runs again at its next turn", e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        threads.clear();
    }
}
