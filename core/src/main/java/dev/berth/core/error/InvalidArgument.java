package dev.berth.core.error;

public final class InvalidArgument extends BerthException {
    public InvalidArgument(String message, String hint) {
        super(message, hint, null);
    }

    public InvalidArgument(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "invalid_argument";
    }
}
