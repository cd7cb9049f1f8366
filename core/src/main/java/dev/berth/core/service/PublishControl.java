package dev.berth.core.service;

import dev.berth.core.model.Grant;
import java.util.Optional;

/**
 * What an orchestrator's controller asks of Berth's controller, by volume id: hand a volume to a
 * node (the claim an attach would take, taken for that node) and take it back. Served in-process
 * by the controller.
 */
public interface PublishControl {

    /** The volume of {@code id}, if there is one. */
    Optional<VolumeView> byId(String id);

    /** Removes the volume of {@code id} as {@link VolumeAdmin#remove} does; a missing one is not an error. */
    void removeById(String id);

    /**
     * Takes the claim on the volume for {@code node} (explicitly: it stays until
     * {@link #unpublish}). NotFound for an unknown volume or a node without a live lease;
     * AttachedElsewhere when another live node holds it; a dead holder is taken over after the
     * grace, fenced. The same node again gets its grant back.
     */
    Grant publish(String volumeId, String node);

    /**
     * Releases {@code node}'s claim ({@code node} null: whoever holds it). Nothing to do when that
     * node does not hold it. Busy while the holder is alive and still uses the volume (staged,
     * published or mounted there); a dead holder's claim is released after the grace, fenced.
     */
    void unpublish(String volumeId, String node);
}
