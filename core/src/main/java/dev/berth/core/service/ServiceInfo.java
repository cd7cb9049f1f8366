package dev.berth.core.service;

/** A configured service: a named driver with its options and what the backend has left. */
public record ServiceInfo(String name, String driver, boolean isDefault, long totalBytes, long availableBytes) {
}
