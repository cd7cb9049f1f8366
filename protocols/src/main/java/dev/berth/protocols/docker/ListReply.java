package dev.berth.protocols.docker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.berth.core.service.VolumeView;
import dev.berth.protocols.http.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The List reply, {@code {"Volumes":[{"Name","Mountpoint"?,"CreatedAt"}, …]}}, written straight to
 * UTF-8 bytes with Jackson's streaming generator. Serializing 10,000 reply records through
 * databind was ~40% of a List in the daemon's C1-compiled JVM; this writes the same JSON as
 * {@link PluginVolume#listed} would, without the records.
 */
final class ListReply {
    private static final JsonFactory JSON = Json.MAPPER.getFactory();

    private ListReply() {
    }

    /**
     * @param byName every volume, ordered by name (as the core lists them); a name that exists in
     *               several services comes once, its first entry (Docker has one name space)
     * @param node   this node: Mountpoint only for volumes mounted here
     */
    static byte[] write(List<VolumeView> byName, String node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + byName.size() * 80);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("Volumes");
            String previous = null;
            for (VolumeView v : byName) {
                if (v.name().equals(previous)) {
                    continue;
                }
                previous = v.name();
                PluginVolume p = PluginVolume.listed(v, node);
                g.writeStartObject();
                g.writeStringField("Name", p.name());
                if (p.mountpoint() != null) {
                    g.writeStringField("Mountpoint", p.mountpoint());
                }
                if (p.createdAt() != null) {
                    g.writeStringField("CreatedAt", p.createdAt());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the List reply", e);
        }
        return out.toByteArray();
    }
}
