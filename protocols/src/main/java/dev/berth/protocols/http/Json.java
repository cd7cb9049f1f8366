package dev.berth.protocols.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.berth.core.error.InvalidArgument;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON mapper of the wire protocols: strict on input (unknown fields are errors, and so is a
 * field given twice or a second value after the first: {@code {"name":"a","name":"b"}} must not
 * quietly mean "b"), ISO dates out.
 */
public final class Json {
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) '([^']*)'.*", Pattern.DOTALL);
    public static final ObjectMapper MAPPER = strictTypes(new ObjectMapper()
            .registerModule(new JavaTimeModule())
            // After JavaTimeModule, so that it wins for Instant (same text, no DateTimeFormatter).
            .registerModule(new SimpleModule("berth-instant").addSerializer(Instant.class, new IsoInstant.Serializer()))
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES));

    /**
     * No silent type changes: {@code {"name": 123}} or {@code {"explicit": "true"}} is a client bug
     * (or a probe), and Jackson would otherwise turn it into the string "123" or the boolean true.
     */
    private static ObjectMapper strictTypes(ObjectMapper m) {
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Boolean)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Integer)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return m;
    }

    private Json() {
    }

    /** Parses a request body; any problem is an InvalidArgument that names it. */
    public static <T> T read(String body, Class<T> type, String example) {
        if (body == null || body.isBlank()) {
            throw new InvalidArgument("the request body is empty", "send a JSON object like " + example);
        }
        try {
            T value = MAPPER.readValue(body, type);
            if (value == null) {
                throw new InvalidArgument("the request body is null", "send a JSON object like " + example);
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidArgument("unknown field '" + e.getPropertyName() + "' in the request body",
                    "valid fields: " + e.getKnownPropertyIds() + "; e.g. " + example);
        } catch (JsonProcessingException e) {
            duplicate(e).ifPresent(field -> {
                throw new InvalidArgument("field '" + field + "' appears more than once in the request body",
                        "send each field once; e.g. " + example);
            });
            throw new InvalidArgument("the request body is not valid JSON for this call: " + e.getOriginalMessage(),
                    "send a JSON object like " + example);
        }
    }

    /** The field named by a duplicate-key refusal (Jackson's parser or tree reader), if {@code e} is one. */
    public static Optional<String> duplicate(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        Matcher m = DUPLICATE.matcher(message == null ? "" : message);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The value as UTF-8 JSON in a Vert.x buffer, written straight to bytes: no String of the whole
     * answer and no second UTF-8 copy of it (a list of 10,000 volumes is ~3 MB; through a String it
     * was written four times over). Run it off the event loop for large values.
     */
    public static Buffer buffer(Object value) {
        // Sized for a list of volume views (~330 bytes each), so the buffer is not copied as it grows.
        Buffer out = Buffer.buffer(value instanceof Collection<?> c ? 256 + c.size() * 384 : 1024);
        try (OutputStream stream = new OutputStream() {
            @Override
            public void write(int b) {
                out.appendByte((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                out.appendBytes(b, off, len);
            }
        }) {
            MAPPER.writeValue(stream, value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass(), e);
        }
        return out;
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass(), e);
        }
    }
}
