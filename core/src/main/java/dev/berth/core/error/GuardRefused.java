package dev.berth.core.error;

/**
 * The storage's own guard refused this host: e.g. ext4 multi-mount protection, because another
 * host's kernel still has the filesystem mounted. Nothing was mounted here; the operation can
 * succeed once the other host has let go (its agent fenced it, or the host is gone).
 */
public final class GuardRefused extends BerthException {
    public GuardRefused(String message, String hint) {
        super(message, hint, null);
    }

    public GuardRefused(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }

    @Override
    public String code() {
        return "guard_refused";
    }
}
