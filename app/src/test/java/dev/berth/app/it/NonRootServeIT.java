package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.host.testing.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `berth serve` as a real unprivileged user (nobody, through setpriv): refused with a message that
 * names root and the dir driver while a loop service is configured; running with only the dir
 * driver in folders it owns.
 */
class NonRootServeIT {
    private static final String NOBODY = "65534";
    @TempDir
    Path dir;
    String classpath;

    @BeforeEach
    void copyClasspath() throws IOException {
        Root.require();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // nobody cannot read root's ~/.m2: give it a world-readable copy of the test's classpath.
        classpath = dev.berth.app.testing.WorldReadableClasspath.copyInto(dir.resolve("lib"));
    }

    private record Run(int code, String output) {
    }

    private Run serveAsNobody(Path config, boolean expectExit) throws Exception {
        Path log = dir.resolve("serve-" + System.nanoTime() + ".log");
        List<String> cmd = List.of("/usr/bin/setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                ProcessHandle.current().info().command().orElseThrow(), "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + dir.resolve("tmp"), "-cp", classpath, "dev.berth.app.Main", "serve",
                "--config", config.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (expectExit) {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "serve as nobody did not exit");
            return new Run(p.exitValue(), Files.readString(log));
        }
        Path socket = dir.resolve("home/berth.sock");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        // Up means: the socket exists and the start-up line is printed (it follows the socket).
        while (!(Files.exists(socket) && Files.readString(log).contains("serving on")) && p.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        boolean up = Files.exists(socket) && Files.readString(log).contains("serving on");
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
        assertTrue(up, "serve as nobody with the dir driver did not come up:\n" + Files.readString(log));
        return new Run(p.exitValue(), Files.readString(log));
    }

    @Test
    void loopServiceNeedsRootAndSaysHowToTryWithout() throws Exception {
        Files.createDirectories(dir.resolve("tmp"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = dir.resolve("loop.yml");
        Files.writeString(config, "stateDir: " + dir + "/state\nsocket: " + dir + "/berth.sock\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Run r = serveAsNobody(config, true);
        assertEquals(6, r.code(), r.output());
        assertTrue(r.output().contains("needs root") && r.output().contains("dir driver"), r.output());
        assertTrue(!Files.exists(dir.resolve("state")), "nothing created");
    }

    @Test
    void dirDriverWorksWithoutRoot() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.createDirectories(dir.resolve("tmp"));
        Files.setPosixFilePermissions(dir.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        new ProcessBuilder("/usr/bin/chown", NOBODY + ":" + NOBODY, home.toString()).start().waitFor();
        Path config = dir.resolve("dir.yml");
        Files.writeString(config, """
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker:
                  enabled: false
                services:
                  local:
                    driver: dir
                    options: {root: %1$s/dirs}
                """.formatted(home));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        Run r = serveAsNobody(config, false);
        assertTrue(r.output().contains("serving on " + home.resolve("berth.sock")), r.output());
    }
}
