package dev.berth.core.error;

/**
 * A part Berth depends on cannot be used now: e.g. the state store lost its directory and refuses
 * every change, so nothing that would not be saved is reported as done.
 */
public final class Unavailable extends BerthException {
    public Unavailable(String message, String hint) {
        super(message, hint, null);
    }

    public Unavailable(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "unavailable";
    }
}
