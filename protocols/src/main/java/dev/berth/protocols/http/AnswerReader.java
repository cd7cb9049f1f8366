package dev.berth.protocols.http;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;

/**
 * Reads a server's ANSWERS: {@link Json#MAPPER} with unknown fields ignored, at every depth —
 * strict in, tolerant out. A server of a later version may add a field to any answer object
 * (top level or nested); a client of this version must go on working with it, or no rolling
 * upgrade is possible (the controllers are upgraded first, so they are the newer side). Requests
 * stay strict ({@link Json#read}): a field the server does not know is refused, never ignored.
 *
 * <p>An {@link ObjectReader} of the one mapper, not a second mapper: every other rule (types,
 * duplicate keys, trailing tokens, ISO dates) is the mapper's own.
 */
public final class AnswerReader {
    private static final ObjectReader READER = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private AnswerReader() {
    }

    public static <T> T read(String answer, TypeReference<T> type) throws IOException {
        return READER.forType(type).readValue(answer);
    }

    public static JsonNode tree(String answer) throws IOException {
        return READER.readTree(answer);
    }
}
