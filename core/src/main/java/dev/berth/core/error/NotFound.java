package dev.berth.core.error;

public final class NotFound extends BerthException {
    public NotFound(String message, String hint) {
        super(message, hint, null);
    }

    public NotFound(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "not_found";
    }
}
