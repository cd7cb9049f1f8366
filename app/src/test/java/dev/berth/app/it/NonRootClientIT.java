package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.CliProcess;
import dev.berth.app.testing.WorldReadableClasspath;
import dev.berth.host.testing.Root;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as an ordinary user (nobody, through setpriv) against root's files: a socket it may not
 * connect to and a CA file it may not read are each one clear error with the right exit code.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NonRootClientIT {
    private static final List<String> AS_NOBODY = List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", "--");
    @TempDir
    static Path shared;
    static String classpath;

    @BeforeAll
    static void copyClasspath() throws Exception {
        Root.require();
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        classpath = WorldReadableClasspath.copyInto(shared.resolve("lib"));
    }

    /**
     * With a temp folder whose vertx-cache root made (0700), as a daemon run by root leaves it in
     * /tmp: before, every CLI call of another user then failed with "Unable to create folder".
     */
    private static CliProcess.Result asNobody(String... args) throws Exception {
        Path tmp = shared.resolve("tmp");
        Files.createDirectories(tmp.resolve("vertx-cache"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(tmp.resolve("vertx-cache"), PosixFilePermissions.fromString("rwx------"));
        return CliProcess.run(AS_NOBODY, List.of("-Djava.io.tmpdir=" + tmp), classpath, Map.of("HOME", shared.toString()), args);
    }

    @Test
    void rootsSocketIsPermissionDeniedWithAHint() throws Exception {
        Path socket = shared.resolve("berth.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------")); // as berth serve makes it
            CliProcess.Result r = asNobody("volume", "ls", "--socket", socket.toString());
            assertEquals(6, r.code(), r.toString());
            assertEquals(List.of("error: cannot reach Berth at " + socket + ": permission denied (the socket belongs to root, mode rw-------)",
                    "hint: run the command as root (e.g. sudo berth ...), or use the TCP API with a token: --host https://HOST:7979"),
                    r.err().lines().toList(), r.toString());
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void aCaFileOnlyRootMayReadIsNamed() throws Exception {
        Path ca = Files.writeString(shared.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Files.setPosixFilePermissions(ca, PosixFilePermissions.fromString("rw-------"));
        CliProcess.Result r = asNobody("volume", "ls", "--host", "https://127.0.0.1:1", "--ca", ca.toString(), "--token", "abc");
        assertEquals(2, r.code(), r.toString());
        assertEquals("error: CA file " + ca + " is not readable by this user", r.err().lines().findFirst().orElse(""), r.toString());
        assertEquals(2, r.err().lines().count(), r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
        assertTrue(r.millis() < 60_000);
    }
}
