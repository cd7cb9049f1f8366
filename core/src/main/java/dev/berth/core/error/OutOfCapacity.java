package dev.berth.core.error;

public final class OutOfCapacity extends BerthException {
    public OutOfCapacity(String message, String hint) {
        super(message, hint, null);
    }

    public OutOfCapacity(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "out_of_capacity";
    }
}
