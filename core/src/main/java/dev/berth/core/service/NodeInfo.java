package dev.berth.core.service;

import java.time.Instant;

/**
 * A registered node as `berth node ls` shows it.
 *
 * @param state       "alive" while its lease lives, else "expired"
 * @param leaseLeftMs time left on the lease (0 when expired)
 */
public record NodeInfo(String id, String address, String version, String state, long leaseLeftMs,
                       Instant registered) {
}
