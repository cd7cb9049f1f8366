package dev.berth.protocols.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import java.util.Optional;

/**
 * API levels of the REST API, reported by {@code GET /v1/version} as {@code api} (the level the
 * server speaks) and {@code minApi} (the oldest client level it still serves). A level grows when
 * a route, a request field or a meaning is added that a client may rely on; answers may gain
 * fields without a new level, since clients ignore unknown answer fields (AnswerReader).
 *
 * <ul>
 * <li>1: every server before levels were numbers (it reported {@code "api": "v1"}).</li>
 * <li>2: this one — answers may grow fields, {@code /v1/version} reports numbers, several
 *     controllers may serve the same cluster and a 503 means "ask another one".</li>
 * </ul>
 *
 * <p>The rule, like Kubernetes' version skew policy for kubelets: a controller is at least as new
 * as the agents that use it. An agent refuses a controller whose level is below its own (a newer
 * agent may send a field an older controller refuses, since requests are strict), and one whose
 * {@code minApi} is above its own. So a rolling upgrade does the controllers first, then the agents.
 */
public final class ApiVersion {
    /** The level this build speaks, as a server and as a client. */
    public static final int CURRENT = 2;
    /** The oldest client level this build's server still serves. */
    public static final int MIN_CLIENT = 1;
    static final String PATH = "/v1/version";

    private ApiVersion() {
    }

    /** What a {@code /v1/version} answer says; fields a server does not send are "?" or level 1. */
    record Reported(String version, int api, int minApi) {
        static Reported of(JsonNode answer) {
            return new Reported(answer.path("version").asText("?"), level(answer.path("api")), level(answer.path("minApi")));
        }

        String text() {
            return "Berth " + version + ", API " + api;
        }
    }

    /** A level: a number, or "v1" as servers before numbered levels wrote it; 1 when absent. */
    static int level(JsonNode field) {
        if (field.isIntegralNumber()) {
            return field.asInt();
        }
        if (field.isTextual() && field.asText().matches("v[0-9]{1,4}")) {
            return Integer.parseInt(field.asText().substring(1));
        }
        return 1;
    }

    /**
     * Why a client of level {@code needed} must not use the server at {@code where} that answered
     * {@code answer}; empty when it may.
     *
     * @param client who needs it, e.g. "this agent (Berth 0.2.0)"
     */
    static Optional<BerthException> refusal(JsonNode answer, String where, int needed, String client) {
        Reported r = Reported.of(answer);
        if (r.api() < needed) {
            return Optional.of(new BackendFailure("the controller at " + where + " (" + r.text() + ") is older than "
                    + client + " needs: API " + needed + " or later",
                    "upgrade the controllers first, then the agents: a controller must be at least as new as its agents "
                            + "(docs/api.md, \"Versions\")"));
        }
        if (r.minApi() > CURRENT) {
            return Optional.of(new BackendFailure("the controller at " + where + " (" + r.text() + ") no longer serves "
                    + "clients below API " + r.minApi() + "; " + client + " speaks API " + CURRENT,
                    "upgrade this agent to Berth " + r.version() + " (docs/api.md, \"Versions\")"));
        }
        return Optional.empty();
    }

    /** For an answer this client could not read: which side is older, in words. */
    static String mismatch(JsonNode answer) {
        Reported r = Reported.of(answer);
        if (r.api() > CURRENT) {
            return "the server (" + r.text() + ") is newer than this client (API " + CURRENT + "): upgrade the client";
        }
        if (r.api() < CURRENT) {
            return "the server (" + r.text() + ") is older than this client (API " + CURRENT + "): upgrade the server";
        }
        return "server (" + r.text() + ") and client speak the same API: please report this answer as a bug";
    }
}
