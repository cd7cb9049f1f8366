package dev.berth.core.error;

/**
 * The request is well formed, but what it asks for is not something this driver or this build
 * can do (a block volume on a folder driver, a snapshot on a driver without snapshots). Repeating
 * it never helps; asking for something else does.
 */
public final class NotSupported extends BerthException {
    public NotSupported(String message, String hint) {
        super(message, hint, null);
    }

    @Override
    public String code() {
        return "not_supported";
    }
}
