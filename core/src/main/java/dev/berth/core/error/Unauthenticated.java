package dev.berth.core.error;

public final class Unauthenticated extends BerthException {
    public Unauthenticated(String message, String hint) {
        super(message, hint, null);
    }

    public Unauthenticated(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "unauthenticated";
    }
}
