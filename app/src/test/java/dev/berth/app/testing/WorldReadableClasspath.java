package dev.berth.app.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A copy of the test's classpath that another user (nobody, through setpriv) can read: root's ~/.m2 is 0700. */
public final class WorldReadableClasspath {
    private WorldReadableClasspath() {
    }

    public static String copyInto(Path lib) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Files.createDirectories(lib);
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = lib.resolve((i++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> all = Files.walk(src)) {
                    for (Path p : all.toList()) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(src, dst);
            }
            entries.add(dst.toString());
        }
        // The folders on the way from the temp folder down to lib must be searchable by others. Only
        // r-x is added, and only strictly below the temp folder: /tmp itself keeps its mode (1777;
        // taking its sticky and write bits broke apt and every other user of /tmp).
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        for (Path p = lib; p != null && !p.equals(tmp); p = p.getParent()) {
            if (p.equals(lib) || p.startsWith(tmp)) {
                var mode = java.util.EnumSet.copyOf(Files.getPosixFilePermissions(p));
                mode.addAll(PosixFilePermissions.fromString("---r-xr-x"));
                Files.setPosixFilePermissions(p, mode);
            }
        }
        try (Stream<Path> all = Files.walk(lib)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
