package dev.berth.store.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.spi.Codec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * JSON for everything the core keeps in the state store. The settings serve two readers: a human
 * looking at {@code state.db} with the sqlite3 tool (times as ISO-8601 text, map keys sorted), and
 * a newer or older Berth reading the same bytes (unknown fields are ignored, missing ones become
 * null or zero), so records can gain fields without a migration.
 */
public final class JsonCodec implements Codec {
    private static final int SNIPPET = 120;

    private final ObjectMapper mapper = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            // Same value, same bytes: labels maps are otherwise in hash order.
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .build();

    @Override
    public byte[] encode(Object value) {
        Objects.requireNonNull(value, "value");
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new BackendFailure("cannot encode " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage(), "this is a bug in Berth; please report it", e);
        }
    }

    @Override
    public <T> T decode(byte[] bytes, Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (bytes == null || bytes.length == 0) {
            throw failure(type, "the stored value is empty", null);
        }
        T value;
        try {
            value = mapper.readValue(bytes, type);
        } catch (JsonProcessingException e) {
            // getOriginalMessage leaves out Jackson's source dump; the snippet says what was stored.
            throw failure(type, e.getOriginalMessage() + " in " + snippet(bytes), e);
        } catch (IOException | RuntimeException e) {
            throw failure(type, e.getMessage() + " in " + snippet(bytes), e);
        }
        if (value == null) {
            throw failure(type, "the stored value is JSON null", null);
        }
        return value;
    }

    private static BackendFailure failure(Class<?> type, String why, Throwable cause) {
        return new BackendFailure("stored " + type.getSimpleName() + " cannot be decoded: " + why,
                "the state store holds data this Berth does not understand; check for a version mismatch", cause);
    }

    private static String snippet(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        return "'" + (text.length() > SNIPPET ? text.substring(0, SNIPPET) + "…" : text) + "'";
    }
}
