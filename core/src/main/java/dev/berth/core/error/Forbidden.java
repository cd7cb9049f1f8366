package dev.berth.core.error;

public final class Forbidden extends BerthException {
    public Forbidden(String message, String hint) {
        super(message, hint, null);
    }

    public Forbidden(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "forbidden";
    }
}
