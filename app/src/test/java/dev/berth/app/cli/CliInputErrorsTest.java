package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.CliProcess;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a careless (or hostile) user can hand the CLI: each gives one "error:" line and one "hint:"
 * line with the documented exit code, at once — no stack trace, no "null", no OutOfMemoryError.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CliInputErrorsTest {
    private static final String FP = "sha256:" + "0".repeat(64);
    @TempDir
    Path dir;

    /** Exactly "error: {message}" and "hint: ..." on stderr, nothing on stdout. */
    private static void oneError(int code, String message, String out, String err, int exit, String what) {
        assertEquals(code, exit, what);
        List<String> lines = err.lines().toList();
        assertEquals(2, lines.size(), "one error and one hint: " + what);
        assertEquals("error: " + message, lines.get(0), what);
        assertTrue(lines.get(1).startsWith("hint: ") && lines.get(1).length() > 12, what);
        assertFalse(err.contains("Exception") || err.contains("\tat ") || err.contains(": null"), what);
        assertEquals("", out, what);
    }

    private static void oneError(int code, String message, Cli.Result r) {
        oneError(code, message, r.out(), r.err(), r.code(), r.toString());
    }

    private static void oneError(int code, String message, CliProcess.Result r) {
        oneError(code, message, r.out(), r.err(), r.code(), r.toString());
    }

    private static Cli.Result remote(String... extra) {
        List<String> args = new ArrayList<>(List.of("volume", "ls", "--host", "https://127.0.0.1:1"));
        args.addAll(List.of(extra));
        return Cli.raw(args.toArray(String[]::new));
    }

    private Path fifo(String name) throws Exception {
        Path f = dir.resolve(name);
        assertEquals(0, new ProcessBuilder(List.of("mkfifo", f.toString())).inheritIO().start().waitFor());
        return f;
    }

    // ---- files named by the user ---------------------------------------------------------------

    @Test
    void berthCaDevZeroIsRefusedAtOnce() {
        // Before: 35 s, then java.lang.OutOfMemoryError (here: a 64 MiB heap, so sooner).
        CliProcess.Result r = CliProcess.run(Map.of("BERTH_CA", "/dev/zero", "BERTH_HOST", "https://127.0.0.1:1",
                "BERTH_TOKEN", "abc"), "volume", "ls");
        oneError(2, "CA file /dev/zero is a character device, not a regular file", r);
        assertTrue(r.millis() < 20_000, r.toString());
    }

    @Test
    void caFlagFifoHugeMissing() throws Exception {
        oneError(2, "CA file /dev/zero is a character device, not a regular file", remote("--ca", "/dev/zero"));
        Path fifo = fifo("ca.pem");
        oneError(2, "CA file " + fifo + " is a FIFO (named pipe), not a regular file", remote("--ca", fifo.toString()));
        Path big = Files.write(dir.resolve("big.pem"), new byte[3 << 20]);
        oneError(2, "CA file " + big + " holds 3145728 bytes; a CA file is at most 1 MiB", remote("--ca", big.toString()));
        oneError(2, "CA file " + dir.resolve("none.pem") + " does not exist", remote("--ca", dir.resolve("none.pem").toString()));
        oneError(2, "CA file " + dir + " is a folder, not a regular file", remote("--ca", dir.toString()));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem at all\n");
        oneError(2, "CA file " + garbage + " contains no PEM block", remote("--ca", garbage.toString()));
    }

    @Test
    void knownHostsDeviceFifoFolder() throws Exception {
        oneError(2, "known hosts file /dev/zero is a character device, not a regular file",
                remote("--known-hosts", "/dev/zero", "--token", "abc"));
        Path fifo = fifo("known_hosts");
        oneError(2, "known hosts file " + fifo + " is a FIFO (named pipe), not a regular file",
                remote("--known-hosts", fifo.toString(), "--token", "abc"));
        oneError(2, "known hosts file " + dir + " is a folder, not a regular file", remote("--known-hosts", dir.toString()));
    }

    @Test
    void configFileDeviceFifoHuge() throws Exception {
        // Before: "/dev/zero does not exist" — it does; it is not a file to read.
        oneError(2, "config file /dev/zero is a character device, not a regular file", Cli.raw("env", "--config", "/dev/zero"));
        Path fifo = fifo("config.yml");
        oneError(2, "config file " + fifo + " is a FIFO (named pipe), not a regular file",
                Cli.raw("volume", "ls", "--config", fifo.toString()));
        Path big = Files.writeString(dir.resolve("big.yml"), "# " + "x".repeat(1 << 20) + "\n");
        oneError(2, "config file " + big + " holds " + Files.size(big) + " bytes; a config file is at most 1 MiB",
                Cli.raw("env", "--config", big.toString()));
        CliProcess.Result env = CliProcess.run(Map.of("BERTH_CONFIG", "/dev/zero"), "env");
        oneError(2, "config file /dev/zero is a character device, not a regular file", env);
    }

    // ---- the token -----------------------------------------------------------------------------

    @Test
    void aTokenWithALineBreakIsOneClearErrorAndNeverEchoed() {
        // Before: java.lang.IllegalArgumentException: only ' ' and '\t' are allowed after '\n': Bearer abc<LF>def
        Cli.Result flag = remote("--fingerprint", FP, "--token", "abc\ndef");
        oneError(2, "the token given with --token has a line break at character 4 of 7", flag);
        assertFalse(flag.err().contains("def"), "the token is not printed");
        CliProcess.Result env = CliProcess.run(Map.of("BERTH_HOST", "https://127.0.0.1:1", "BERTH_FINGERPRINT", FP,
                "BERTH_TOKEN", "abc.def\n"), "volume", "ls");
        oneError(2, "the token in BERTH_TOKEN has a line break at character 8 of 8", env);
        oneError(2, "the token given with --token has a space at character 4 of 7", remote("--fingerprint", FP, "--token", "abc def"));
    }

    @Test
    void anAgentTokenWithALineBreakIsAConfigError() throws IOException {
        Path file = Files.writeString(dir.resolve("agent.yml"), "role: agent\ncontroller:\n  url: https://ctl:7979\n"
                + "  token: \"abc\\ndef\"\n");
        oneError(2, "the token in controller.token (file " + file + ") has a line break at character 4 of 7",
                Cli.raw("env", "--config", file.toString()));
    }

    // ---- the server's address ------------------------------------------------------------------

    @Test
    void badServerAddresses() {
        oneError(2, "controller URL 'https://a b:7979' is not valid: Illegal character in authority",
                Cli.raw("volume", "ls", "--host", "https://a b:7979"));
        // Before: java.lang.IllegalArgumentException: port p must be in range 0 <= p <= 65535
        oneError(2, "controller URL 'https://ctl:99999' is not valid: port 99999 is not in 1..65535",
                Cli.raw("volume", "ls", "--host", "https://ctl:99999"));
        // Before: port 0 silently became 7979.
        oneError(2, "controller URL 'https://ctl:0' is not valid: port 0 is not in 1..65535",
                Cli.raw("volume", "ls", "--host", "https://ctl:0"));
        Cli.Result noScheme = Cli.raw("volume", "ls", "--host", "ctl");
        oneError(2, "controller URL 'ctl' is not valid: it must start with https://", noScheme);
        assertTrue(noScheme.err().contains("hint: add the scheme: https://ctl"), noScheme.err());
        oneError(2, "controller URL 'ctl:7979' is not valid: it must start with https://", Cli.raw("volume", "ls", "--host", "ctl:7979"));
        // Before: user, path and query were dropped without a word.
        oneError(2, "controller URL 'https://bob@ctl:7979/api?x=1' is not valid: only scheme, host and port are used",
                Cli.raw("volume", "ls", "--host", "https://bob@ctl:7979/api?x=1"));
        oneError(2, "controller URL 'https://my_host:7979' is not valid: 'my_host:7979' is not a host name or host:port "
                + "(letters, digits, '-' and '.'; IPv6 in [ ])", Cli.raw("volume", "ls", "--host", "https://my_host:7979"));
        oneError(2, "controller URL 'ftp://ctl' is not valid: it must start with https://", Cli.raw("volume", "ls", "--host", "ftp://ctl"));
    }

    @Test
    void aListOfControllersIsCheckedEntryByEntryAndTriedInTurn() {
        oneError(2, "controller URL 'ftp://ctl' is not valid: it must start with https://",
                Cli.raw("volume", "ls", "--host", "https://ctl:7979,ftp://ctl"));
        oneError(2, "controller URL list 'https://ctl:7979,,https://c2:7979' has an empty entry",
                Cli.raw("volume", "ls", "--host", "https://ctl:7979,,https://c2:7979"));
        oneError(2, "server https://ctl:7979 is listed twice", Cli.raw("volume", "ls", "--host", "https://ctl:7979, https://ctl"));
        String kh = dir.resolve("known_hosts").toString();
        oneError(7, "no controller could answer GET /v1/volumes (2 tried): cannot reach Berth at https://127.0.0.1:1: "
                        + "connection refused (nothing listens on that port); cannot reach Berth at https://127.0.0.1:2: "
                        + "connection refused (nothing listens on that port)",
                Cli.raw("volume", "ls", "--host", "https://127.0.0.1:1,https://127.0.0.1:2", "--known-hosts", kh));
    }

    // ---- the local socket ----------------------------------------------------------------------

    @Test
    void aMissingSocketIsNamedNotNull() {
        Path socket = dir.resolve("none.sock");
        // Before: "error: cannot reach Berth at .../none.sock: null"
        // Unreachable is unavailable: exit 7, like a state store that cannot be reached.
        oneError(7, "cannot reach Berth at " + socket + ": no such socket", Cli.raw("volume", "ls", "--socket", socket.toString()));
    }

    @Test
    void aSocketNobodyListensOn() throws IOException {
        Path socket = dir.resolve("berth.sock");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        oneError(7, "cannot reach Berth at " + socket + ": nothing listens on it (connection refused)",
                Cli.raw("volume", "ls", "--socket", socket.toString()));
        Path file = Files.writeString(dir.resolve("file.sock"), "");
        oneError(1, "cannot reach Berth at " + file + ": it is a regular file, not a socket",
                Cli.raw("volume", "ls", "--socket", file.toString()));
    }

    @Test
    void aSocketPathLongerThanTheKernelTakes() {
        // Before: "bind(..) failed with error(-36): File name too long" at serve, "no such socket" for the CLI.
        String socket = "/run/" + "s".repeat(110) + ".sock";
        oneError(2, "socket = '" + socket + "' (flag) is 120 bytes long; a unix socket path has at most 107",
                Cli.raw("volume", "ls", "--socket", socket));
        oneError(2, "docker.socket = '" + socket + "' (flag) is 120 bytes long; a unix socket path has at most 107",
                Cli.raw("env", "--set", "docker.socket=" + socket));
    }
}
