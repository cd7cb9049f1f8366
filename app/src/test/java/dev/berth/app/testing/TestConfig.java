package dev.berth.app.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A config file for a Berth confined to one temporary folder. */
public final class TestConfig {
    private TestConfig() {
    }

    public static Path write(Path dir, String node) throws IOException {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                node: %s
                stateDir: %s/state
                socket: %s/berth.sock
                mountRoot: %s/volumes
                volumes:
                  defaultSize: 64M
                docker:
                  enabled: false
                  socket: %s/docker/berth.sock
                services:
                  local:
                    driver: loop
                    options:
                      pool: %s/pool
                  scratch:
                    driver: dir
                    options:
                      root: %s/dirs
                """.formatted(node, dir, dir, dir, dir, dir, dir));
        return file;
    }
}
