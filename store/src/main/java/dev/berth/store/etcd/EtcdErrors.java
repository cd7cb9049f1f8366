package dev.berth.store.etcd;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.Unavailable;
import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;

/**
 * etcd's answers as Berth errors. Unreachable (refused, no leader, timed out, no quorum) is always
 * {@link Unavailable}, so callers (and the REST API: 503) can tell "try again" from "wrong".
 */
final class EtcdErrors {
    private final String where;
    private final Duration timeout;

    EtcdErrors(EtcdSettings settings) {
        this.where = "etcd at " + String.join(",", settings.endpoints().stream().map(Object::toString).toList());
        this.timeout = settings.timeout();
    }

    /** What to tell about the members when they cannot be reached. */
    String hint(boolean write) {
        return "check that a majority of the etcd members run and that this host reaches their client ports "
                + "(`etcdctl --endpoints=… endpoint health`), then retry"
                + (write ? "; a write that timed out may still have been made: re-read before repeating it" : "");
    }

    Unavailable timedOut(String what, boolean write) {
        return new Unavailable(where + " did not answer " + what + " within " + timeout.toMillis() + " ms (store.etcd.timeout)",
                hint(write));
    }

    Unavailable closed() {
        return new Unavailable("the etcd state store (" + where + ") is closed", "Berth is shutting down; retry after it has started again");
    }

    /** Maps a failure of one call. Unknown kinds become {@link BackendFailure}, never a hang or a raw exception. */
    BerthException map(String what, boolean write, Throwable t) {
        if (t instanceof BerthException b) {
            return b;
        }
        if (t instanceof ClosedClientException) {
            return closed();
        }
        ErrorCode code = t instanceof EtcdException e ? e.getErrorCode() : errorCode(Status.fromThrowable(t).getCode());
        String message = message(t);
        if (code == ErrorCode.INVALID_ARGUMENT && (message.contains("user name is empty") || message.contains("authentication failed"))) {
            code = ErrorCode.UNAUTHENTICATED; // etcd's words when no user or a wrong password is given
        }
        return switch (code) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED -> new Unavailable(
                    where + " cannot be reached for " + what + ": " + message, hint(write), t);
            case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> message.contains("too many operations")
                    ? new InvalidArgument(where + " refused " + what + ": " + message + " (etcd's --max-txn-ops, 128 by default)",
                            "split the change into transactions of at most 128 operations", t)
                    : message.contains("request is too large")
                    ? new InvalidArgument(where + " refused " + what + ": " + message + " (etcd's --max-request-bytes, 1.5 MiB by default)",
                            "write smaller values or fewer keys at once", t)
                    : new InvalidArgument(where + " refused " + what + ": " + message, "", t);
            case NOT_FOUND -> new NotFound(where + ": " + message + " (" + what + ")", "", t);
            case UNAUTHENTICATED, PERMISSION_DENIED -> new BackendFailure(where + " refused " + what + ": " + message,
                    "check store.etcd.user and store.etcd.passwordFile, and that the user's role may read and write "
                            + "the store's prefix (`etcdctl role get …`)", t);
            case RESOURCE_EXHAUSTED -> new BackendFailure(where + " refused " + what + ": " + message,
                    "etcd's database is full: compact and defragment it, then `etcdctl alarm disarm`", t);
            default -> new BackendFailure(where + " failed " + what + ": " + message, "see the etcd members' logs", t);
        };
    }

    static boolean isNotFound(Throwable t) {
        return t instanceof EtcdException e ? e.getErrorCode() == ErrorCode.NOT_FOUND
                : Status.fromThrowable(t).getCode() == Status.Code.NOT_FOUND;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        Throwable cause = t.getCause();
        if ((m == null || m.isBlank()) && cause != null) {
            m = cause.toString();
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    private static ErrorCode errorCode(Status.Code code) {
        try {
            return ErrorCode.valueOf(code.name());
        } catch (IllegalArgumentException e) {
            return ErrorCode.UNKNOWN;
        }
    }
}
