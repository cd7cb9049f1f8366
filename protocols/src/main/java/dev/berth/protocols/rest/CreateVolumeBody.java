package dev.berth.protocols.rest;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.ContentSource;
import java.util.Map;

/**
 * Body of {@code POST /v1/volumes}.
 *
 * @param fromSnapshot a snapshot to start the volume from ({@code [<service>/]<volume>@<snapshot>}, a name or an id)
 * @param fromVolume   a volume to copy ({@code <volume>} or {@code <service>/<volume>})
 * @param frozenBy     set only by an agent that froze the source volume for the copy (see
 *                     {@link dev.berth.core.service.CreateVolume#frozenBy()}); refused from anyone else
 */
public record CreateVolumeBody(String name, String service, String size, String fsType, Map<String, String> labels,
                               String fromSnapshot, String fromVolume, String frozenBy) {
    static final String EXAMPLE = "{\"name\":\"db\",\"size\":\"1G\",\"fsType\":\"ext4\"}";

    public CreateVolumeBody(String name, String service, String size, String fsType, Map<String, String> labels) {
        this(name, service, size, fsType, labels, null, null, null);
    }

    /** The source the two fields name, or null; both at once is refused. */
    public ContentSource source() {
        if (fromSnapshot != null && fromVolume != null) {
            throw new InvalidArgument("fromSnapshot and fromVolume are both given",
                    "start a volume from one snapshot or one volume: give only one of them");
        }
        return fromSnapshot != null ? ContentSource.snapshot(fromSnapshot)
                : fromVolume != null ? ContentSource.volume(fromVolume) : null;
    }
}
