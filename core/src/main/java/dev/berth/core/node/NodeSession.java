package dev.berth.core.node;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.NotFound;
import dev.berth.core.model.Node;
import dev.berth.core.spi.ControlPlane;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Keeps this node registered with the controller: heartbeats every TTL/3 (monotonic sleeps). If
 * the lease was lost anyway (controller unreachable longer than the TTL), it registers again and
 * tells {@code onReRegistered}, so held volumes are claimed again under the new lease.
 */
public final class NodeSession implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeSession.class.getName());
    private final ControlPlane control;
    private final Node node;
    private volatile Duration ttl;
    private volatile Runnable onReRegistered = () -> { };
    private volatile boolean closed;
    private final Thread heartbeat;

    /** Registers right away; throws if the controller cannot be reached. */
    public NodeSession(ControlPlane control, Node node) {
        this.control = control;
        this.node = node;
        this.ttl = control.register(node);
        this.heartbeat = Thread.ofVirtual().name("node-heartbeat").unstarted(this::loop);
    }

    public NodeSession start() {
        heartbeat.start();
        return this;
    }

    public void onReRegistered(Runnable listener) {
        this.onReRegistered = listener;
    }

    public String nodeId() {
        return node.id();
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(ttl.dividedBy(3));
                control.heartbeat(node.id());
            } catch (InterruptedException e) {
                return;
            } catch (NotFound lost) {
                if (closed) {
                    return;
                }
                LOG.warning("node " + node.id() + " lost its lease; registering again");
                try {
                    ttl = control.register(node);
                    onReRegistered.run();
                } catch (BerthException e) {
                    LOG.warning("could not register again: " + e.getMessage());
                }
            } catch (BerthException e) {
                LOG.warning("heartbeat failed: " + e.getMessage());
            }
        }
    }

    /** Stops heartbeats. The lease is left to expire, not revoked: a restart re-uses it within the TTL. */
    @Override
    public void close() {
        closed = true;
        heartbeat.interrupt();
    }
}
