package dev.berth.core.spi;

/**
 * Turns the core's records into the bytes kept in the state store and back. Core has no JSON
 * library of its own; the wiring supplies one.
 */
public interface Codec {
    byte[] encode(Object value);

    <T> T decode(byte[] bytes, Class<T> type);
}
