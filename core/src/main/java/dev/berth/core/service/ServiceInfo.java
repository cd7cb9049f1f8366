package dev.berth.core.service;

/**
 * A configured service: a named driver with its options and what the backend has left.
 *
 * @param totalBytes     size of the filesystem (or backend) that holds the service's volumes
 * @param availableBytes what is free there now
 * @param committedBytes the full sizes of the service's volumes added up; null when the driver does
 *                       not enforce sizes (dir), and then the next three are null too
 * @param allocatedBytes what those volumes occupy now (allocated blocks of sparse files)
 * @param overcommit     how far committed may exceed {@code availableBytes + allocatedBytes}
 *                       (service option overcommit; 1.0 = not at all)
 * @param headroomBytes  the largest volume a create accepts now
 */
public record ServiceInfo(String name, String driver, boolean isDefault, long totalBytes, long availableBytes,
                          Long committedBytes, Long allocatedBytes, Double overcommit, Long headroomBytes) {
}
