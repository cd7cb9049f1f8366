package dev.berth.app;

import picocli.CommandLine;

/** Test access to Main's package-private decisions. */
public final class MainAccess {
    private MainAccess() {
    }

    public static boolean needsLogs(CommandLine.ParseResult parsed) {
        return Main.needsLogs(parsed);
    }
}
