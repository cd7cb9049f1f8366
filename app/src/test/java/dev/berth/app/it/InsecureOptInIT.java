package dev.berth.app.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import dev.berth.app.testing.Cluster;
import dev.berth.host.testing.Root;
import dev.berth.app.testing.ServeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and tokens go off only when a setting says so, and the controller says loudly that they are off. */
class InsecureOptInIT {
    @TempDir
    Path dir;

    @Test
    void plainHttpAndNoTokensOnlyByExplicitSettingWithWarnings() throws Exception {
        Root.require();
        Cluster cluster = new Cluster(dir);
        try (ServeProcess ctl = ServeProcess.start(cluster.controllerConfig(), dir.resolve("ctl.log"), Map.of(),
                "--set", "api.tls=false", "--set", "auth.enabled=false")
                .awaitReady(dir.resolve("ctl/berth.sock"), Duration.ofSeconds(60))) {
            // The notes are printed after the socket answers: wait for each.
            ctl.awaitLog("WARNING: TLS is OFF", Duration.ofSeconds(30));
            ctl.awaitLog("WARNING: token authentication is OFF", Duration.ofSeconds(30));
            String log = ctl.awaitLog("REST API on http://127.0.0.1:" + cluster.port, Duration.ofSeconds(30));
            assertTrue(log.contains("WARNING: TLS is OFF"), log);
            assertTrue(log.contains("WARNING: token authentication is OFF"), log);
            assertTrue(log.contains("REST API on http://127.0.0.1:" + cluster.port), log);
            assertTrue(!Files.exists(dir.resolve("ctl/state/tls")), "no certificate is made when TLS is off");
            Cli.Result ls = Cli.raw("volume", "ls", "--host", "http://127.0.0.1:" + cluster.port);
            assertEquals(0, ls.code(), ls.toString());
            Cli.Result https = Cli.raw("volume", "ls", "--host", cluster.url(), "--known-hosts",
                    dir.resolve("kh").toString());
            assertTrue(https.code() != 0, "a TLS client does not talk to a plain port: " + https);
        }
    }
}
