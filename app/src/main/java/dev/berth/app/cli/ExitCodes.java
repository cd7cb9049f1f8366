package dev.berth.app.cli;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.error.Unauthenticated;
import dev.berth.core.error.Unavailable;

/** Exit codes of the CLI (documented in README.md). */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    public static final int CONFLICT = 4;
    public static final int NO_CAPACITY = 5;
    public static final int DENIED = 6;
    public static final int UNAVAILABLE = 7;

    private ExitCodes() {
    }

    public static int of(BerthException e) {
        return switch (e) {
            case InvalidArgument x -> USAGE;
            case NotFound x -> NOT_FOUND;
            case AlreadyExists x -> CONFLICT;
            case Busy x -> CONFLICT;
            case AttachedElsewhere x -> CONFLICT;
            case OutOfCapacity x -> NO_CAPACITY;
            case Unauthenticated x -> DENIED;
            case Forbidden x -> DENIED;
            case BackendFailure x -> FAILURE;
            case Unavailable x -> UNAVAILABLE;
            case dev.berth.core.error.Fenced x -> CONFLICT;
            case dev.berth.core.error.GuardRefused x -> CONFLICT;
            case dev.berth.core.error.Aborted x -> CONFLICT;
            case dev.berth.core.error.NotSupported x -> USAGE;
        };
    }
}
