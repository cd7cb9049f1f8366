package dev.berth.protocols.rest;

/** What {@code GET /v1/version} tells: the server's version, role and node. */
public record ServerInfo(String version, String role, String node, String api) {
}
