package dev.berth.core.error;

/**
 * The one error model of Berth. Every protocol maps these kinds once (see docs/architecture.md):
 * the message says what went wrong, the hint says what the user can do next.
 */
public sealed abstract class BerthException extends RuntimeException
        permits NotFound, AlreadyExists, InvalidArgument, AttachedElsewhere, Busy, OutOfCapacity,
                BackendFailure, Unauthenticated, Forbidden, Unavailable, Fenced, GuardRefused, Aborted, NotSupported {

    private final String hint;

    protected BerthException(String message, String hint, Throwable cause) {
        super(requireText(message), cause);
        this.hint = hint == null ? "" : hint;
    }

    private static String requireText(String message) {
        if (message == null || message.isBlank()) {
            throw new IllegalArgumentException("an error needs a message");
        }
        return message;
    }

    /** What the user can do next; empty when there is nothing useful to add. */
    public String hint() {
        return hint;
    }

    /** Stable machine-readable code, e.g. {@code not_found}; part of the REST wire format. */
    public abstract String code();

    /** Message and hint in one line, for protocols that have a single text field (Docker's Err). */
    public String fullMessage() {
        return hint.isEmpty() ? getMessage() : getMessage() + " (" + hint + ")";
    }
}
