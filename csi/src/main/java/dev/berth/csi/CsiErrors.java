package dev.berth.csi;

import dev.berth.core.error.Aborted;
import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.GuardRefused;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.error.Unauthenticated;
import dev.berth.core.error.Unavailable;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Berth's error kinds as gRPC status codes, in one place (table in CSI-DESIGN / docs). The status
 * carries {@link BerthException#fullMessage()} and nothing else: no details, no extra trailers.
 */
public final class CsiErrors {
    private static final Logger LOG = Logger.getLogger(CsiErrors.class.getName());

    private CsiErrors() {
    }

    /** For Identity and Controller RPCs. */
    public static StatusRuntimeException of(Throwable t) {
        return map(t, false);
    }

    /**
     * For Node RPCs: the spec's node tables answer a capability the plugin lacks with
     * FAILED_PRECONDITION, so {@link NotSupported} maps there instead of INVALID_ARGUMENT.
     */
    public static StatusRuntimeException ofNodeCall(Throwable t) {
        return map(t, true);
    }

    /** The code for a Berth error kind; a new kind is a compile error here until it is mapped. */
    static Status.Code code(BerthException e, boolean nodeCall) {
        return switch (e) {
            case NotFound x -> Status.Code.NOT_FOUND;
            case AlreadyExists x -> Status.Code.ALREADY_EXISTS;
            case InvalidArgument x -> Status.Code.INVALID_ARGUMENT;
            case AttachedElsewhere x -> Status.Code.FAILED_PRECONDITION;
            case Busy x -> Status.Code.FAILED_PRECONDITION;
            case OutOfCapacity x -> Status.Code.RESOURCE_EXHAUSTED;
            case BackendFailure x -> Status.Code.INTERNAL;
            case Unauthenticated x -> Status.Code.UNAUTHENTICATED;
            case Forbidden x -> Status.Code.PERMISSION_DENIED;
            case Unavailable x -> Status.Code.UNAVAILABLE;
            case Fenced x -> Status.Code.FAILED_PRECONDITION;
            case GuardRefused x -> Status.Code.UNAVAILABLE;
            case Aborted x -> Status.Code.ABORTED;
            case NotSupported x -> nodeCall ? Status.Code.FAILED_PRECONDITION : Status.Code.INVALID_ARGUMENT;
        };
    }

    private static StatusRuntimeException map(Throwable t, boolean nodeCall) {
        Throwable e = unwrap(t);
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof StatusException s) {
            return s.getStatus().asRuntimeException(s.getTrailers());
        }
        if (e instanceof BerthException b) {
            return Status.fromCode(code(b, nodeCall)).withDescription(b.fullMessage()).withCause(b).asRuntimeException();
        }
        LOG.log(Level.WARNING, "unexpected error in a CSI call: " + dev.berth.core.log.LogText.quoted(String.valueOf(e)), e);
        String text = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return Status.INTERNAL.withDescription(text).withCause(e).asRuntimeException();
    }

    /** The work's own exception, not the future's wrapper around it. */
    private static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
