package dev.berth.protocols.docker;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.berth.core.error.InvalidArgument;
import dev.berth.protocols.http.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Request bodies of the plugin calls. dockerd sends JSON + "\n" without a Content-Type. Parsing is
 * strict about what Berth needs (a JSON object, {@code Name} a string, {@code Opts} strings) and
 * refuses garbage before anything changes; fields Berth does not use are ignored, so that a newer
 * engine adding a field does not break mounts.
 */
final class PluginBodies {
    static final String NAME_EXAMPLE = "{\"Name\":\"db\"}";
    static final String MOUNT_EXAMPLE = "{\"Name\":\"db\",\"ID\":\"<caller id>\"}";
    static final String CREATE_EXAMPLE = "{\"Name\":\"db\",\"Opts\":{\"size\":\"1G\"}}";

    // Trailing garbage and duplicate keys are refused: a body that could mean two things means nothing.
    private static final ObjectReader READER = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

    /** {@code {"Name": ...}}: Get, Path, Remove. */
    record Named(String name) {
    }

    /** {@code {"Name": ..., "ID": ...}}: Mount, Unmount. */
    record Mount(String name, String id) {
    }

    /** {@code {"Name": ..., "Opts": {...}}}: Create; opts is never null. */
    record Create(String name, Map<String, String> opts) {
    }

    private PluginBodies() {
    }

    static Named named(String body) {
        return new Named(name(object(body, NAME_EXAMPLE), NAME_EXAMPLE));
    }

    static Mount mount(String body) {
        JsonNode o = object(body, MOUNT_EXAMPLE);
        String name = name(o, MOUNT_EXAMPLE);
        JsonNode id = o.get("ID");
        if (id == null || id.isNull() || (id.isTextual() && id.asText().isEmpty())) {
            throw new InvalidArgument("the request has no ID",
                    "send the caller's mount ID (dockerd sends one per container), e.g. " + MOUNT_EXAMPLE);
        }
        if (!id.isTextual()) {
            throw new InvalidArgument("ID must be a string, got " + kind(id), "e.g. " + MOUNT_EXAMPLE);
        }
        return new Mount(name, id.asText());
    }

    static Create create(String body) {
        JsonNode o = object(body, CREATE_EXAMPLE);
        String name = name(o, CREATE_EXAMPLE);
        JsonNode opts = o.get("Opts");
        Map<String, String> out = new LinkedHashMap<>();
        if (opts != null && !opts.isNull()) {
            if (!opts.isObject()) {
                throw new InvalidArgument("Opts must be an object of option names to values, got " + kind(opts),
                        "e.g. " + CREATE_EXAMPLE);
            }
            for (var e : opts.properties()) {
                JsonNode v = e.getValue();
                if (!v.isValueNode() || v.isNull()) {
                    throw new InvalidArgument("option " + e.getKey() + " must be a string, got " + kind(v),
                            "e.g. " + CREATE_EXAMPLE);
                }
                out.put(e.getKey(), v.asText());
            }
        }
        return new Create(name, out);
    }

    /** List and Capabilities take {@code {}}; an empty body is accepted too, anything else must be JSON. */
    static void any(String body) {
        if (body != null && !body.isBlank()) {
            parse(body, "{}");
        }
    }

    private static JsonNode object(String body, String example) {
        if (body == null || body.isBlank()) {
            throw new InvalidArgument("the request body is empty", "send a JSON object like " + example);
        }
        JsonNode node = parse(body, example);
        if (!node.isObject()) {
            throw new InvalidArgument("the request body must be a JSON object, got " + kind(node),
                    "send a JSON object like " + example);
        }
        return node;
    }

    private static JsonNode parse(String body, String example) {
        try {
            return READER.readTree(body);
        } catch (JacksonException e) {
            throw new InvalidArgument("the request body is not valid JSON: " + e.getOriginalMessage(),
                    "send a JSON object like " + example);
        }
    }

    private static String name(JsonNode o, String example) {
        JsonNode name = o.get("Name");
        if (name == null || name.isNull() || (name.isTextual() && name.asText().isEmpty())) {
            throw new InvalidArgument("the request has no Name", "name the volume, e.g. " + example);
        }
        if (!name.isTextual()) {
            throw new InvalidArgument("Name must be a string, got " + kind(name), "e.g. " + example);
        }
        return name.asText();
    }

    private static String kind(JsonNode n) {
        String text = n.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }
}
