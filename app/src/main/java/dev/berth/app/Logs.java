package dev.berth.app;

import java.util.logging.Level;
import java.util.logging.LogManager;

/** One-line log records on stderr; Netty's chatty loggers are kept at warnings. */
final class Logs {
    private Logs() {
    }

    static void configure() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        LogManager.getLogManager().reset();
        var handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(Level.ALL);
        var root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        java.util.logging.Logger.getLogger("io.netty").setLevel(Level.WARNING);
        java.util.logging.Logger.getLogger("io.vertx").setLevel(Level.WARNING);
    }
}
