package dev.berth.protocols.http;

import dev.berth.core.error.BerthException;
import io.vertx.core.http.HttpServerResponse;

/**
 * How one protocol writes an error (REST: {@code {"error": {...}}}, Docker: {@code {"Err": "..."}}),
 * so that what never reaches a route (malformed HTTP, no such route) is answered in the same shape.
 */
@FunctionalInterface
public interface ErrorReply {
    /** Ends {@code response} with {@code status} and the protocol's body for {@code error}. */
    void send(HttpServerResponse response, int status, BerthException error);
}
