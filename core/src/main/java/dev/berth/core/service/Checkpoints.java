package dev.berth.core.service;

/**
 * Named points in multi-step operations where a crash leaves partial state ("after-attach",
 * "after-mount"). Production wiring ignores them; the crash tests pause the daemon there and
 * kill -9 it, which is the only way to cut an operation at an exact step for real.
 */
@FunctionalInterface
public interface Checkpoints {
    Checkpoints NONE = name -> { };

    void reached(String name);
}
