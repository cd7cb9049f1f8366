package dev.berth.core.service;

import dev.berth.core.model.Volume;
import java.nio.file.Path;

/**
 * Where volumes are mounted on a host: {@code <root>/<name>} for the default service and
 * {@code <root>/<service>@<name>} for others ('@' cannot occur in names, so paths never collide).
 * Containers get the {@code data} folder inside, so the filesystem root (lost+found) stays hidden.
 */
public record MountLayout(Path root, String defaultService) {
    public static final String DATA = "data";

    public MountLayout {
        if (!root.isAbsolute()) {
            throw new IllegalArgumentException("mount root must be absolute: " + root);
        }
        root = root.normalize();
    }

    public Path mountPoint(Volume v) {
        return root.resolve(v.service().equals(defaultService) ? v.name() : v.service() + "@" + v.name());
    }

    public static Path containerPath(Path mountPoint) {
        return mountPoint.resolve(DATA);
    }
}
