package dev.berth.protocols.http;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
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
 * An HTTP/1.1 server on a unix socket (Vert.x; it accepts dockerd's blank Host header). A stale
 * socket file left by a crash is removed first, but a socket another live process answers on is
 * never taken over. The file is removed again on close.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UnixSocketServer.class.getName());
    private final HttpServer server;
    private final Path path;

    private UnixSocketServer(HttpServer server, Path path) {
        this.server = server;
        this.path = path;
    }

    /**
     * @param mode  permissions of the socket file (e.g. rw------- for the API)
     * @param group group to own the socket, if that group exists (e.g. "docker"); may be null
     */
    public static UnixSocketServer start(Vertx vertx, Path path, Set<PosixFilePermission> mode, String group,
                                         Handler<HttpServerRequest> handler) {
        if (!path.isAbsolute()) {
            throw new InvalidArgument("socket path must be absolute: " + path, "configure an absolute path");
        }
        try {
            Files.createDirectories(path.getParent());
            removeStale(path);
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(0).setMaxInitialLineLength(dev.berth.protocols.rest.RestApi.MAX_LINE))
                    .requestHandler(handler);
            Futures.get(server.listen(SocketAddress.domainSocketAddress(path.toString())));
            Files.setPosixFilePermissions(path, mode);
            if (group != null) {
                chgrpIfExists(path, group);
            }
            LOG.info("listening on " + path);
            return new UnixSocketServer(server, path);
        } catch (IOException e) {
            throw new BackendFailure("cannot listen on " + path + ": " + e.getMessage(),
                    "check that " + path.getParent() + " is writable (Berth runs as root)", e);
        }
    }

    private static void removeStale(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
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
            Futures.get(server.close());
        } finally {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warning("could not remove " + path + ": " + e.getMessage());
            }
        }
    }
}
