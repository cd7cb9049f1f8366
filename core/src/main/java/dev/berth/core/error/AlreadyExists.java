package dev.berth.core.error;

public final class AlreadyExists extends BerthException {
    public AlreadyExists(String message, String hint) {
        super(message, hint, null);
    }

    public AlreadyExists(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "already_exists";
    }
}
