package dev.berth.core.service;

import java.util.List;

/**
 * The controller's side of {@link Volumes}: what needs the state store and the backend but no
 * host. Served in-process by the controller, or remotely through the REST API.
 */
public interface VolumeAdmin {
    VolumeView create(CreateVolume request);

    /** Removes a volume that no node holds; Busy or AttachedElsewhere otherwise. */
    void remove(VolumeRef ref);

    VolumeView inspect(VolumeRef ref);

    List<VolumeView> list(String service);

    List<ServiceInfo> services();

    /** Registered nodes with their lease state. */
    List<NodeInfo> nodes();

    /**
     * The newest {@code limit} takeovers, preemptions and self-fencing events, oldest first; of one
     * volume when {@code ref} is not null.
     */
    List<dev.berth.core.model.Event> events(VolumeRef ref, int limit);
}
