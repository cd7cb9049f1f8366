package dev.berth.csi.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh folder with a short path under /tmp for unix sockets: JUnit's @TempDir may sit deeper
 * than a socket path's 107 bytes allow. Removed with everything in it on close.
 */
public final class SocketDir implements AutoCloseable {
    private final Path dir;

    public SocketDir() {
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "csi");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path path() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    @Override
    public void close() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
