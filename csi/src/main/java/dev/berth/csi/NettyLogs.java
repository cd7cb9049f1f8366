package dev.berth.csi;

import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Netty and grpc-netty log lines that must not appear: the harmless SO_KEEPALIVE warning on unix
 * sockets (grpc sets the option on every connection), and the HTTP/2 frame dumps that the frame
 * loggers write at FINE, which contain request bytes and so the secrets. The loggers are held here
 * because java.util.logging keeps only weak references to configured loggers.
 */
final class NettyLogs {
    static final String FRAME_LOGGER_SERVER = "io.grpc.netty.NettyServerHandler";
    static final String FRAME_LOGGER_CLIENT = "io.grpc.netty.NettyClientHandler";
    private static final Logger SERVER_BOOTSTRAP = Logger.getLogger("io.netty.bootstrap.ServerBootstrap");
    private static final Logger CLIENT_BOOTSTRAP = Logger.getLogger("io.netty.bootstrap.Bootstrap");
    private static final Logger SERVER_FRAMES = Logger.getLogger(FRAME_LOGGER_SERVER);
    private static final Logger CLIENT_FRAMES = Logger.getLogger(FRAME_LOGGER_CLIENT);
    private static final Filter NO_KEEPALIVE_WARNING = r -> r.getMessage() == null || !r.getMessage().contains("SO_KEEPALIVE");

    private NettyLogs() {
    }

    static synchronized void quiet() {
        SERVER_BOOTSTRAP.setFilter(NO_KEEPALIVE_WARNING);
        CLIENT_BOOTSTRAP.setFilter(NO_KEEPALIVE_WARNING);
        // An explicit level wins over the root's: frames stay unlogged even with the root at ALL.
        SERVER_FRAMES.setLevel(Level.INFO);
        CLIENT_FRAMES.setLevel(Level.INFO);
    }
}
