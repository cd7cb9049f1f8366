package dev.berth.protocols.rest;

/**
 * What {@code GET /v1/version} tells: the server's Berth version, role and node, and the API
 * level it speaks ({@code api}) and the oldest client level it still serves ({@code minApi}); see
 * {@link ApiVersion}.
 */
public record ServerInfo(String version, String role, String node, int api, int minApi) {
    /** This build's server: its API level is {@link ApiVersion#CURRENT}. */
    public static ServerInfo of(String version, String role, String node) {
        return new ServerInfo(version, role, node, ApiVersion.CURRENT, ApiVersion.MIN_CLIENT);
    }
}
