package dev.berth.protocols.http;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.logging.Logger;

/**
 * An HTTP/1.1 server on a unix socket (Vert.x; it accepts dockerd's blank Host header), guarded by
 * an {@link HttpGuard} (HTTP/1.x only, timeouts, connection limit). A stale
 * socket file left by a crash is removed first, but a socket another live process answers on is
 * never taken over. The file is removed again on close.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UnixSocketServer.class.getName());
    private final Vertx vertx;
    private final String deployment;
    private final Path path;

    private UnixSocketServer(Vertx vertx, String deployment, Path path) {
        this.vertx = vertx;
        this.deployment = deployment;
        this.path = path;
    }

    /**
     * @param mode      permissions of the socket file (e.g. rw------- for the API)
     * @param group     group to own the socket, if that group exists (e.g. "docker"); may be null
     * @param instances servers sharing the socket, each on its own event loop: connections are
     *                  spread over them, so parsing and writing HTTP is not one queue on a machine
     *                  with many cores (the request work itself runs on virtual threads anyway)
     * @param guard     the listener's limits and error shape, shared by all instances
     */
    public static UnixSocketServer start(Vertx vertx, Path path, Set<PosixFilePermission> mode, String group,
                                         Handler<HttpServerRequest> handler, int instances, HttpGuard guard) {
        if (!path.isAbsolute()) {
            throw new InvalidArgument("socket path must be absolute: " + path, "configure an absolute path");
        }
        try {
            Files.createDirectories(path.getParent());
            removeStale(path);
            SocketAddress address = SocketAddress.domainSocketAddress(path.toString());
            // Each verticle instance gets its own event-loop context; Vert.x shares the one listening socket.
            String deployment = Futures.get(vertx.deployVerticle(() -> new VerticleBase() {
                @Override
                public Future<?> start() {
                    HttpServerOptions options = guard.options(new HttpServerOptions()
                            .setMaxInitialLineLength(dev.berth.protocols.rest.RestApi.MAX_LINE));
                    return guard.attach(vertx, vertx.createHttpServer(options), handler).listen(address);
                }
            }, new DeploymentOptions().setInstances(Math.max(1, instances))));
            Files.setPosixFilePermissions(path, mode);
            if (group != null) {
                chgrpIfExists(path, group);
            }
            LOG.info("listening on " + path);
            return new UnixSocketServer(vertx, deployment, path);
        } catch (IOException e) {
            throw new BackendFailure("cannot listen on " + path + ": " + e.getMessage(),
                    "check that " + path.getParent() + " is writable (Berth runs as root)", e);
        }
    }

    /**
     * Refuses when a process answers on {@code path}: checked at the very start of a daemon, so a
     * second one on the same configuration stops before it touches anything.
     */
    public static void refuseIfServed(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException refusedOrNotASocket) {
            return; // nothing serves there: a stale socket, removed when the server starts
        }
        throw new Busy("another process is serving on " + path + " (another `berth serve` with this configuration?)",
                "stop it first: two daemons on one pool would undo each other's mounts");
    }

    /**
     * Removes a socket left by a daemon that died, and nothing else: whatever else is at the path
     * (a file, a folder, a symlink) is refused, never deleted — a mistyped socket path must not
     * cost a file of the host.
     */
    private static void removeStale(Path path) throws IOException {
        java.nio.file.attribute.BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException absent) {
            return;
        }
        int type = ((Number) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).intValue() & 0170000;
        if (type != 0140000) {
            throw new InvalidArgument(path + " exists and is " + (attrs.isSymbolicLink() ? "a symlink"
                    : attrs.isDirectory() ? "a folder" : attrs.isRegularFile() ? "a regular file" : "not a socket")
                    + "; Berth replaces only a socket left by an earlier run",
                    "configure a socket path where nothing else is, or move " + path + " away if it is not needed");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            throw new BackendFailure("another process is serving on " + path,
                    "stop the other Berth first, or configure another socket path");
        } catch (IOException refused) {
            Files.delete(path);
            LOG.info("removed stale socket " + path);
        }
    }

    private static void chgrpIfExists(Path path, String group) throws IOException {
        try {
            GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(g);
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException absent) {
            LOG.fine("group " + group + " does not exist; " + path + " keeps root's group");
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            Futures.get(vertx.undeploy(deployment));
        } finally {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warning("could not remove " + path + ": " + e.getMessage());
            }
        }
    }
}
