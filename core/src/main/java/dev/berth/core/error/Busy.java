package dev.berth.core.error;

public final class Busy extends BerthException {
    public Busy(String message, String hint) {
        super(message, hint, null);
    }

    public Busy(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "busy";
    }
}
