package dev.berth.protocols.rest;

import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.error.Unauthenticated;
import dev.berth.core.error.Unavailable;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.GuardRefused;
import dev.berth.protocols.http.Json;
import io.vertx.core.http.HttpServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one mapping of core errors to REST: HTTP status and the {@code {"error": {...}}} body. */
public final class RestErrors {
    private RestErrors() {
    }

    public static int status(BerthException e) {
        return switch (e) {
            case NotFound x -> 404;
            case AlreadyExists x -> 409;
            case InvalidArgument x -> 400;
            case AttachedElsewhere x -> 409;
            case Busy x -> 409;
            case OutOfCapacity x -> 507;
            case Unauthenticated x -> 401;
            case Forbidden x -> 403;
            case BackendFailure x -> 500;
            case Unavailable x -> 503;
            case Fenced x -> 409;
            case GuardRefused x -> 409;
            case dev.berth.core.error.Aborted x -> 409;
            case dev.berth.core.error.NotSupported x -> 501;
        };
    }

    public static Map<String, Object> body(BerthException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        error.put("hint", e.hint());
        if (e instanceof Fenced f) {
            error.put("volume", f.volume());
            if (f.holder() != null) {
                error.put("holder", f.holder());
            }
        }
        if (e instanceof AttachedElsewhere ae) {
            error.put("volume", ae.volume());
            error.put("holder", ae.holder());
            if (ae.leaseLeft() != null) {
                error.put("leaseLeftMs", ae.leaseLeft().toMillis());
            }
        }
        return Map.of("error", error);
    }

    /**
     * Ends {@code response} with {@code status} and the REST error body of {@code e}: the REST API's
     * {@link dev.berth.protocols.http.ErrorReply}.
     */
    public static void send(HttpServerResponse response, int status, BerthException e) {
        if (status == 401) {
            response.putHeader("WWW-Authenticate", "Bearer");
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.write(body(e)));
    }

    /** Rebuilds the core error a server sent, so that clients handle remote and local errors alike. */
    public static BerthException fromWire(int status, com.fasterxml.jackson.databind.JsonNode error) {
        String code = error.path("code").asText("");
        String message = error.path("message").asText("");
        String hint = error.path("hint").asText("");
        String m = message.isBlank() ? "request failed with HTTP " + status : message;
        return switch (code) {
            case "not_found" -> new NotFound(m, hint);
            case "already_exists" -> new AlreadyExists(m, hint);
            case "invalid_argument" -> new InvalidArgument(m, hint);
            case "attached_elsewhere" -> new AttachedElsewhere(error.path("volume").asText("?"),
                    error.path("holder").asText("?"), error.has("leaseLeftMs")
                            ? java.time.Duration.ofMillis(error.path("leaseLeftMs").asLong()) : null);
            case "busy" -> new Busy(m, hint);
            case "out_of_capacity" -> new OutOfCapacity(m, hint);
            case "unauthenticated" -> new Unauthenticated(m, hint);
            case "forbidden" -> new Forbidden(m, hint);
            case "unavailable" -> new Unavailable(m, hint);
            case "fenced" -> new Fenced(error.path("volume").asText("?"),
                    error.hasNonNull("holder") ? error.path("holder").asText() : null, m);
            case "guard_refused" -> new GuardRefused(m, hint);
            case "aborted" -> new dev.berth.core.error.Aborted(m, hint);
            case "not_supported" -> new dev.berth.core.error.NotSupported(m, hint);
            default -> new BackendFailure(m, hint);
        };
    }
}
