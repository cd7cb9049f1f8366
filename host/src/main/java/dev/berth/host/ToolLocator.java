package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Finds a tool's executable in a fixed list of system folders. PATH is never consulted, so a
 * caller's environment cannot swap in another {@code mount} or {@code losetup}.
 */
final class ToolLocator {
    static final List<Path> SYSTEM_DIRS =
            List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin"));

    /** Debian package that ships each tool Berth runs, for the "not found" hint. */
    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("losetup", "util-linux"),
            Map.entry("blkid", "util-linux"),
            Map.entry("mount", "mount"),
            Map.entry("umount", "mount"),
            Map.entry("mkfs.ext4", "e2fsprogs"),
            Map.entry("mkfs.xfs", "xfsprogs"),
            Map.entry("e2fsck", "e2fsprogs"),
            Map.entry("resize2fs", "e2fsprogs"),
            Map.entry("tune2fs", "e2fsprogs"),
            Map.entry("xfs_repair", "xfsprogs"),
            Map.entry("xfs_growfs", "xfsprogs"),
            Map.entry("du", "coreutils"));

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");

    private final List<Path> dirs;

    ToolLocator(List<Path> dirs) {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("no tool folders given");
        }
        for (Path d : dirs) {
            if (!d.isAbsolute()) {
                throw new IllegalArgumentException("tool folder must be absolute: " + d);
            }
        }
        this.dirs = List.copyOf(dirs);
    }

    /**
     * A plain name ("losetup") is looked up in the fixed folders; an absolute path is taken as it
     * is (tests and callers that must pin one binary). Anything else is refused.
     */
    Path resolve(String tool) {
        if (tool.startsWith("/")) {
            Path p = HostPaths.check("tool path", Path.of(tool));
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
            throw notFound(p.getFileName() == null ? tool : p.getFileName().toString(), tool + " is not an executable file");
        }
        if (!PLAIN_NAME.matcher(tool).matches()) {
            throw new InvalidArgument("tool name '" + tool + "' is neither a plain name nor an absolute path",
                    "name a tool like 'losetup' or give its absolute path");
        }
        for (Path dir : dirs) {
            Path candidate = dir.resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String where = dirs.stream().map(Path::toString).collect(Collectors.joining(", "));
        throw notFound(tool, tool + " not found in " + where);
    }

    private static BackendFailure notFound(String tool, String message) {
        String pkg = PACKAGES.get(tool);
        String hint = pkg == null
                ? "install the package that provides " + tool
                : "install " + pkg + " (apt-get install -y " + pkg + ")";
        return new BackendFailure(message, hint);
    }
}
