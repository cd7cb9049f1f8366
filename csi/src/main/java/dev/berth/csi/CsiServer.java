package dev.berth.csi;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.error.InvalidArgument;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The CSI gRPC server on a unix socket: grpc-netty on Netty's epoll transport, every call on a
 * virtual thread of its own (calls block on host commands and the store).
 *
 * <p>Before binding, the socket's folder is created (0755) if missing; nothing else is created next
 * to the socket. A socket file nobody answers on is a leftover of a crashed run and is removed; a
 * socket somebody answers on is refused ({@link Busy}); anything else at the path (file, folder,
 * symbolic link) is refused ({@link InvalidArgument}) and left alone.
 *
 * <p>The socket is made mode 0600 right after bind: only root connects, which is what the
 * orchestrator's node agent (kubelet, Nomad client) and its sidecars run as. (Between bind and
 * chmod the mode is what the umask gives; connecting needs write permission, which the usual
 * umask 022 already withholds from others.) Any {@code :authority}
 * is accepted (grpc-java clients send the socket path there).
 */
public final class CsiServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CsiServer.class.getName());
    /** Requests in CSI are small; the spec bounds its strings and maps to a few KiB. */
    static final int MAX_INBOUND_BYTES = 4 * 1024 * 1024;
    private static final long STOP_GRACE_MS = 5_000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFDIR = 0040000;

    private final CsiEndpoint endpoint;
    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup worker;
    private final ExecutorService calls;
    private final FileKey bound;
    private boolean closed;

    private CsiServer(CsiEndpoint endpoint, Server server, EventLoopGroup boss, EventLoopGroup worker,
                      ExecutorService calls, FileKey bound) {
        this.endpoint = endpoint;
        this.server = server;
        this.boss = boss;
        this.worker = worker;
        this.calls = calls;
        this.bound = bound;
    }

    /**
     * @param interceptors run on every call of every service, the first one outermost
     */
    public static CsiServer start(CsiEndpoint endpoint, List<BindableService> services, List<ServerInterceptor> interceptors) {
        if (services.isEmpty()) {
            throw new IllegalArgumentException("a CSI server needs at least one service");
        }
        NettyLogs.quiet();
        if (!Epoll.isAvailable()) {
            throw new BackendFailure("the CSI socket needs Netty's epoll transport, which did not load: "
                    + Epoll.unavailabilityCause(), "run Berth on Linux x86_64 with the netty-transport-native-epoll jar on the class path",
                    Epoll.unavailabilityCause());
        }
        Path socket = endpoint.socket();
        prepare(socket);

        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup worker = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ExecutorService calls = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("csi-call-", 0).factory());
        List<EpollServerDomainSocketChannel> listening = new CopyOnWriteArrayList<>();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelFactory(() -> {
                    EpollServerDomainSocketChannel ch = new EpollServerDomainSocketChannel();
                    listening.add(ch);
                    return ch;
                })
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(worker)
                .executor(calls)
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                // Sidecars may ping idle connections; don't answer a ping every minute with GOAWAY.
                .permitKeepAliveTime(30, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        List<ServerInterceptor> outermostLast = new ArrayList<>(interceptors);
        Collections.reverse(outermostLast);
        for (BindableService service : services) {
            builder.addService(ServerInterceptors.intercept(service, outermostLast));
        }
        Server server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            shutdown(boss, worker, calls);
            throw new BackendFailure("cannot listen on the CSI socket " + socket + ": " + e.getMessage(),
                    "check that the folder is writable and no other process bound the path meanwhile", e);
        }
        listening.forEach(CsiServer::keepNettyFromDeleting);
        FileKey key;
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            key = FileKey.of(socket);
        } catch (IOException e) {
            server.shutdownNow();
            shutdown(boss, worker, calls);
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // the error below is what matters
            }
            throw new BackendFailure("cannot set the mode of the CSI socket " + socket + ": " + e.getMessage(),
                    "check the file system of " + socket.getParent(), e);
        }
        LOG.info("CSI gRPC listening on " + endpoint.uri());
        return new CsiServer(endpoint, server, boss, worker, calls, key);
    }

    public CsiEndpoint endpoint() {
        return endpoint;
    }

    /** Stops taking calls, lets running ones finish for a bounded time, and removes the socket if it is still ours. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        try {
            if (!server.awaitTermination(STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
                LOG.warning("CSI calls still running after " + STOP_GRACE_MS + " ms; cancelling them");
                server.shutdownNow();
                server.awaitTermination(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        shutdown(boss, worker, calls);
        Path socket = endpoint.socket();
        try {
            if (bound.equals(FileKey.of(socket))) {
                Files.deleteIfExists(socket);
            } else {
                LOG.info("CSI socket " + socket + " was replaced by another file; left in place");
            }
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            LOG.warning("cannot remove the CSI socket " + socket + ": " + e.getMessage());
        }
    }

    /**
     * Netty's channel deletes the path it was bound to when it closes, whatever file is there by
     * then. Berth deletes the socket itself, only if it is still the one it bound (see close()), so
     * the channel is made to forget the path. If a Netty upgrade renames the field, Netty deletes
     * as before (CsiServerTest#closeLeavesASocketThatReplacedOurs then fails).
     */
    private static void keepNettyFromDeleting(EpollServerDomainSocketChannel ch) {
        try {
            Field local = EpollServerDomainSocketChannel.class.getDeclaredField("local");
            local.setAccessible(true);
            local.set(ch, null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.fine("cannot stop Netty from deleting the socket path on close: " + e);
        }
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup worker, ExecutorService calls) {
        calls.shutdown();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The folder exists and the path is free: nothing there, or a stale socket that is removed now. */
    private static void prepare(Path socket) {
        Path parent = socket.getParent();
        try {
            createFolders(parent);
        } catch (IOException e) {
            throw new BackendFailure("cannot create the CSI socket's folder " + parent + ": " + e.getMessage(),
                    "create it (mode 0755) or choose another csi.socket", e);
        }
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new BackendFailure("cannot inspect " + socket + ": " + e.getMessage(), "check the path", e);
        }
        if (Files.isSymbolicLink(socket)) {
            throw new InvalidArgument("the CSI socket path " + socket + " is a symbolic link; Berth does not replace it",
                    "remove it yourself or choose another csi.socket / CSI_ENDPOINT");
        }
        int type = (Integer) attrs.get("mode") & S_IFMT;
        if (type != S_IFSOCK) {
            throw new InvalidArgument("the CSI socket path " + socket + " is " + (type == S_IFDIR ? "a folder" : "a file")
                    + ", not a socket; Berth does not replace it", "remove it yourself or choose another csi.socket / CSI_ENDPOINT");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
        } catch (ConnectException e) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException d) {
                throw new BackendFailure("cannot remove the stale CSI socket " + socket + ": " + d.getMessage(),
                        "remove it yourself", d);
            }
            LOG.info("removed the stale CSI socket " + socket + " (nobody answered on it)");
            return;
        } catch (IOException e) {
            throw new BackendFailure("cannot tell whether " + socket + " is in use: " + e.getMessage(),
                    "remove it yourself if no process serves it", e);
        }
        throw new Busy("another process serves the CSI socket " + socket,
                "stop that process (another berth serve?) or choose another csi.socket / CSI_ENDPOINT");
    }

    private static void createFolders(Path folder) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = folder; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            try {
                Files.createDirectory(p);
            } catch (FileAlreadyExistsException raced) {
                continue;
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        if (!Files.isDirectory(folder)) {
            throw new InvalidArgument("the CSI socket's folder " + folder + " is not a folder",
                    "choose another csi.socket / CSI_ENDPOINT");
        }
    }

    /**
     * Device, inode and change time: tells our socket from one bound at the same path later (an
     * inode number freed by a delete is handed out again at once on ext4).
     */
    private record FileKey(long dev, long ino, FileTime ctime) {
        static FileKey of(Path p) throws IOException {
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,ctime", LinkOption.NOFOLLOW_LINKS);
            return new FileKey((Long) a.get("dev"), (Long) a.get("ino"), (FileTime) a.get("ctime"));
        }
    }
}
