package dev.berth.core.spi;

/**
 * Where a long copy reports how far it got: a CLI's progress bar, a REST task's record. Called
 * from the copying thread, at most a few times a second; must not block.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes handled so far ({@code total} 0 when not known). */
    void update(long done, long total);
}
