package dev.berth.protocols.docker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.berth.core.service.VolumeView;
import dev.berth.protocols.http.IsoInstant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A volume as dockerd reads it in Get and List replies. Absent fields are left out, never sent
 * empty: dockerd decodes {@code CreatedAt} into a Go {@code time.Time}, which fails on {@code ""}.
 *
 * @param mountpoint the container path, only when the volume is mounted on this node (dockerd
 *                   bind-mounts it, so a path on another node would be wrong here)
 * @param createdAt  RFC 3339 (UTC, with fraction), as dockerd expects
 * @param status     shown verbatim by {@code docker volume inspect} under "Status"; Get only
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record PluginVolume(@JsonProperty("Name") String name,
                    @JsonProperty("Mountpoint") String mountpoint,
                    @JsonProperty("CreatedAt") String createdAt,
                    @JsonProperty("Status") Map<String, Object> status) {

    /** The short form of List: name, local mount point, creation time. */
    static PluginVolume listed(VolumeView v, String localNode) {
        return new PluginVolume(v.name(), localMountpoint(v, localNode), created(v), null);
    }

    /** The full form of Get, with the Status map (docs/docker.md lists its keys). */
    static PluginVolume detailed(VolumeView v, String localNode) {
        // Every key is always present ("" when it does not apply), so that templates like
        // docker volume inspect -f '{{.Status.node}}' print nothing rather than "<no value>".
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("service", v.service());
        status.put("driver", v.driver());
        status.put("size", v.size());
        status.put("fsType", v.fsType());
        status.put("status", v.status());
        status.put("node", orEmpty(v.node()));
        status.put("device", orEmpty(v.device()));
        status.put("mountRefs", v.mountRefs().size());
        status.put("created", orEmpty(created(v)));
        status.put("labels", v.labels());
        status.put("id", v.id());
        return new PluginVolume(v.name(), localMountpoint(v, localNode), created(v), status);
    }

    private static String localMountpoint(VolumeView v, String localNode) {
        return localNode.equals(v.node()) ? v.containerPath() : null;
    }

    private static String created(VolumeView v) {
        // ISO-8601 in UTC ("2026-11-27T14:50:12.123Z"), which is RFC 3339.
        return v.created() == null ? null : IsoInstant.format(v.created());
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
