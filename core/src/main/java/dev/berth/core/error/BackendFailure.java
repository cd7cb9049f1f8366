package dev.berth.core.error;

public final class BackendFailure extends BerthException {
    public BackendFailure(String message, String hint) {
        super(message, hint, null);
    }

    public BackendFailure(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "backend_failure";
    }
}
