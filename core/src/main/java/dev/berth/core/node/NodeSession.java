package dev.berth.core.node;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.NotFound;
import dev.berth.core.ha.Monotonic;
import dev.berth.core.model.Node;
import dev.berth.core.spi.ControlPlane;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Keeps this node's lease alive and fences the node when it cannot. Two platform threads at the
 * highest priority, so neither waits behind virtual threads pinned in native calls: one renews the
 * lease every TTL/3 (each call with its own deadline, set by the control plane client), the other
 * watches {@code lastAck + TTL - margin} on the monotonic clock, where {@code lastAck} is when the
 * last renewal that was acknowledged was SENT (the store's lease cannot end earlier than that plus
 * the TTL). Past that point, with no renewal, the node gives up every volume it holds
 * ({@code onDeadline}) — before the controller may take any of them over. See docs/ha.md.
 */
public final class NodeSession implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeSession.class.getName());
    private final ControlPlane control;
    private final Node node;
    private final Monotonic clock;
    private final Duration margin;
    private volatile Duration ttl;
    private volatile long lastAck;
    private volatile Runnable onReRegistered = () -> { };
    private volatile Runnable onDeadline = () -> { };
    private volatile Runnable afterAck = () -> { };
    private final AtomicBoolean fenced = new AtomicBoolean();
    private final AtomicBoolean afterAckRunning = new AtomicBoolean();
    private volatile boolean closed;
    private final Thread heartbeat;
    private final Thread watchdog;

    /** Registers right away; throws if the controller cannot be reached. */
    public NodeSession(ControlPlane control, Node node) {
        this(control, node, Monotonic.SYSTEM, null);
    }

    /** @param margin how long before {@code lastAck + TTL} the node fences itself; null for the default */
    public NodeSession(ControlPlane control, Node node, Monotonic clock, Duration margin) {
        this.control = control;
        this.node = node;
        this.clock = clock;
        long sent = clock.nanos();
        this.ttl = control.register(node);
        this.lastAck = sent;
        this.margin = margin == null ? defaultMargin(ttl) : margin;
        if (this.margin.compareTo(ttl.dividedBy(2)) > 0 || this.margin.isNegative()) {
            throw new dev.berth.core.error.InvalidArgument("fencing.margin " + this.margin.toMillis()
                    + " ms must be between 0 and half the lease TTL (" + ttl.toMillis() + " ms)",
                    "lower fencing.margin or raise leaseTtl");
        }
        this.heartbeat = Thread.ofPlatform().daemon().name("node-heartbeat").priority(Thread.MAX_PRIORITY)
                .unstarted(this::beatLoop);
        this.watchdog = Thread.ofPlatform().daemon().name("node-fence-watchdog").priority(Thread.MAX_PRIORITY)
                .unstarted(this::watchLoop);
    }

    /** The default margin: a quarter of the TTL, at most 1 s (docs/ha.md). */
    public static Duration defaultMargin(Duration ttl) {
        Duration quarter = ttl.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : quarter;
    }

    public NodeSession start() {
        heartbeat.start();
        watchdog.start();
        return this;
    }

    public void onReRegistered(Runnable listener) {
        this.onReRegistered = listener;
    }

    /** Runs (once per outage) when no renewal was acknowledged for TTL - margin. */
    public void onDeadline(Runnable listener) {
        this.onDeadline = listener;
    }

    /** Runs after acknowledged renewals, on its own thread, never delaying the next one. */
    public void afterAck(Runnable listener) {
        this.afterAck = listener;
    }

    public String nodeId() {
        return node.id();
    }

    public Duration ttl() {
        return ttl;
    }

    public Duration margin() {
        return margin;
    }

    /** True while the lease can be trusted: a renewal was acknowledged within TTL - margin. */
    public boolean trusted() {
        return clock.nanos() - deadlineNanos() < 0;
    }

    /** Monotonic nanos at which this node stops trusting its lease, unless a renewal is acknowledged first. */
    public long deadlineNanos() {
        return lastAck + ttl.toNanos() - margin.toNanos();
    }

    private void beatLoop() {
        while (!closed) {
            try {
                clock.sleep(ttl.dividedBy(3));
                beat();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One renewal (the loop's body; tests call it directly). */
    public void beat() {
        long sent = clock.nanos();
        try {
            control.heartbeat(node.id());
            acked(sent);
        } catch (NotFound lost) {
            if (closed) {
                return;
            }
            LOG.warning("node " + node.id() + " lost its lease; registering again");
            try {
                long again = clock.nanos();
                ttl = control.register(node);
                // The volumes of the old lease are checked (and given up where lost) before anything
                // else is done with the new one.
                onReRegistered.run();
                acked(again);
            } catch (BerthException e) {
                LOG.warning("could not register again: " + e.getMessage());
            }
        } catch (BerthException e) {
            LOG.warning("heartbeat failed: " + e.getMessage() + " (" + Math.max(0, (deadlineNanos() - clock.nanos()) / 1_000_000)
                    + " ms left before this node fences itself)");
        }
    }

    private void acked(long sent) {
        lastAck = Math.max(lastAck, sent);
        fenced.set(false);
        if (afterAckRunning.compareAndSet(false, true)) {
            Thread.ofVirtual().name("node-after-heartbeat").start(() -> {
                try {
                    afterAck.run();
                } catch (RuntimeException e) {
                    LOG.fine("after the heartbeat: " + e.getMessage());
                } finally {
                    afterAckRunning.set(false);
                }
            });
        }
    }

    private void watchLoop() {
        Duration step = ttl.dividedBy(20).compareTo(Duration.ofMillis(100)) > 0 ? Duration.ofMillis(100) : ttl.dividedBy(20);
        while (!closed) {
            try {
                clock.sleep(step);
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    /** Fences the node if its lease can no longer be trusted (the watchdog's body; tests call it directly). */
    public boolean check() {
        if (clock.nanos() - deadlineNanos() < 0 || !fenced.compareAndSet(false, true)) {
            return false;
        }
        LOG.severe("node " + node.id() + ": no lease renewal acknowledged for "
                + (clock.nanos() - lastAck) / 1_000_000 + " ms (TTL " + ttl.toMillis() + " ms, margin " + margin.toMillis()
                + " ms): giving up every volume before the controller may hand them on");
        try {
            onDeadline.run();
        } catch (RuntimeException e) {
            LOG.severe("self-fencing failed: " + e);
        }
        return true;
    }

    /** Stops heartbeats. The lease is left to expire, not revoked: a restart re-uses it within the TTL. */
    @Override
    public void close() {
        closed = true;
        heartbeat.interrupt();
        watchdog.interrupt();
    }
}
