package dev.berth.app.cli;

import dev.berth.app.Logs;
import dev.berth.app.Version;
import dev.berth.app.config.Config;
import dev.berth.app.config.FolderRules;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.core.error.Forbidden;
import dev.berth.core.service.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", description = "Run the Berth daemon: all-in-one (default), controller or agent (--role).")
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: /etc/berth/config.yml if present)")
    Path config;
    @Option(names = "--role", paramLabel = "ROLE", description = "all-in-one (default), controller or agent (key: role)")
    String role;
    @Option(names = "--controller", paramLabel = "URL", description = "Agent: the controller, https://HOST:7979, or a comma-separated list (key: controller.url)")
    String controller;
    @Option(names = "--token", paramLabel = "JWT", description = "Agent: token for the controller (key: controller.token; "
            + "visible in ps: prefer --token-file)")
    String token;
    @Option(names = "--token-file", paramLabel = "FILE", description = "Agent: file holding its node token, mode 0600 "
            + "(key: controller.tokenFile)")
    String tokenFile;
    @Option(names = "--ca", paramLabel = "FILE", description = "Agent: CA/certificate PEM to trust (key: controller.ca)")
    String ca;
    @Option(names = "--fingerprint", paramLabel = "SHA256", description = "Agent: pinned controller certificate (key: controller.fingerprint)")
    String fingerprint;
    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "TCP API address (key: api.listen)")
    String listen;
    @Option(names = "--node", paramLabel = "ID", description = "Node id (key: node)")
    String node;
    @Option(names = "--socket", paramLabel = "PATH", description = "Local API socket (key: socket)")
    String socket;
    @Option(names = "--state-dir", paramLabel = "DIR", description = "Embedded store folder (key: stateDir)")
    String stateDir;
    @Option(names = "--store", paramLabel = "URL", description = "State store: embedded (default: SQLite in the state "
            + "dir) or etcd://HOST:PORT,HOST:PORT,... shared by all controllers, etcds:// for TLS (key: store; "
            + "TLS, user, deadline and prefix: store.etcd.* keys)")
    String store;
    @Option(names = "--mount-root", paramLabel = "DIR", description = "Where volumes are mounted (key: mountRoot)")
    String mountRoot;
    @Option(names = "--docker-socket", paramLabel = "PATH", description = "Docker plugin socket (key: docker.socket)")
    String dockerSocket;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any config key, e.g. --set volumes.defaultSize=1G (repeatable)")
    Map<String, String> set = new LinkedHashMap<>();
    @Option(names = "--adopt-pool", description = "After the state was lost: rebuild the records of the loop pool's "
            + "images that no record owns (named from their metadata files), then serve; never touches the data. "
            + "Controller or all-in-one; see \"State loss\" in README.md")
    boolean adoptPool;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Config cfg = Wiring.configLoader().load(config, System.getenv(), flags());
        if (!cfg.get(Keys.ROLE).equals("agent")) {
            FolderRules.checkStateDirOnDisk(cfg);
        }
        requireRootForBlockDrivers(cfg);
        Daemon daemon = Daemon.start(cfg, TestCheckpoints.fromEnv(), adoptPool);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "berth-shutdown"));
        var out = spec.commandLine().getOut();
        out.println("Berth " + Version.get() + " (" + daemon.role() + ") serving on " + cfg.get(Keys.SOCKET)
                + (daemon.role().equals("agent") ? " for controller " + cfg.get(Keys.CONTROLLER)
                : " (state " + Wiring.storeLocation(cfg) + ")") + ", node " + Wiring.nodeId(cfg));
        daemon.notes().forEach(line -> out.println(Logs.escape(line)));
        // Report lines quote names found on the host (mount table, pool files): one line each, escaped.
        daemon.reconcileReport().forEach(line -> out.println("reconcile: " + Logs.escape(line)));
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }

    /** The config keys the command line sets: the named flags and every --set (deploy/ manifests are checked with it). */
    Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>(set);
        putIf(flags, Keys.ROLE.name(), role);
        putIf(flags, Keys.CONTROLLER.name(), controller);
        putIf(flags, Keys.CONTROLLER_TOKEN.name(), token);
        putIf(flags, Keys.CONTROLLER_TOKEN_FILE.name(), tokenFile);
        putIf(flags, Keys.CONTROLLER_CA.name(), ca);
        putIf(flags, Keys.CONTROLLER_FINGERPRINT.name(), fingerprint);
        putIf(flags, Keys.API_LISTEN.name(), listen);
        putIf(flags, Keys.NODE.name(), node);
        putIf(flags, Keys.SOCKET.name(), socket);
        putIf(flags, Keys.STATE_DIR.name(), stateDir);
        putIf(flags, Keys.MOUNT_ROOT.name(), mountRoot);
        putIf(flags, Keys.STORE.name(), store);
        putIf(flags, Keys.DOCKER_SOCKET.name(), dockerSocket);
        return flags;
    }

    private static void putIf(Map<String, String> flags, String key, String value) {
        if (value != null) {
            flags.put(key, value);
        }
    }

    private static void requireRootForBlockDrivers(Config cfg) {
        if (isRoot() || cfg.get(Keys.ROLE).equals("controller")) {
            return;
        }
        for (ServiceConfig s : cfg.services()) {
            if (!s.driver().equals("dir")) {
                throw new Forbidden("berth serve needs root for service " + s.name() + " (" + s.driver()
                        + " driver): loop devices and mounts need root",
                        "run it as root (sudo bin/berth serve), or try Berth without root with the dir driver: "
                                + "see \"Without root\" in README.md");
            }
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Test-only fault injection, off unless BERTH_TEST_PAUSE_AT names a checkpoint: the daemon
     * then writes BERTH_TEST_PAUSE_MARKER and blocks there, so a crash test can kill -9 it at
     * exactly that step.
     */
    static final class TestCheckpoints {
        static Checkpoints fromEnv() {
            String at = System.getenv("BERTH_TEST_PAUSE_AT");
            String marker = System.getenv("BERTH_TEST_PAUSE_MARKER");
            if (at == null || marker == null) {
                return Checkpoints.NONE;
            }
            return name -> {
                if (name.equals(at)) {
                    try {
                        Files.writeString(Path.of(marker), name);
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (IOException | InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
        }
    }
}
