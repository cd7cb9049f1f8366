package dev.berth.core.error;

/**
 * Another operation on the same object is in progress, so this one was not started: retry once
 * that one is over. Distinct from {@link Busy}, which says the object is in use (mounted, held)
 * and stays so until someone acts; an Aborted call succeeds if simply repeated later.
 */
public final class Aborted extends BerthException {
    public Aborted(String message, String hint) {
        super(message, hint, null);
    }

    @Override
    public String code() {
        return "aborted";
    }
}
