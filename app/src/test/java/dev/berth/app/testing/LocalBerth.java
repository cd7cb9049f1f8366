package dev.berth.app.testing;

import dev.berth.host.testing.Root;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.VolumeRef;
import java.nio.file.Path;
import java.util.Map;

/** An all-in-one daemon in this JVM, confined to one folder (TestConfig), with a CLI pointed at it. */
public final class LocalBerth implements AutoCloseable {
    public final Daemon daemon;
    public final Cli cli;
    public final Path config;

    private LocalBerth(Daemon daemon, Cli cli, Path config) {
        this.daemon = daemon;
        this.cli = cli;
        this.config = config;
    }

    /** Needs root (loop devices); {@code overrides} are flags as `serve --set` gives them. */
    public static LocalBerth start(Path dir, String node, Map<String, String> overrides) throws Exception {
        Root.require();
        Path file = TestConfig.write(dir, node);
        Config cfg = Wiring.configLoader().load(file, Map.of(), overrides);
        return new LocalBerth(Daemon.start(cfg, Checkpoints.NONE), new Cli(file), file);
    }

    /** Removes every volume (forcing, with its snapshots) and every snapshot, so no loop device or mount outlives the test, then stops. */
    @Override
    public void close() {
        for (var v : daemon.volumes().list(null)) {
            daemon.volumes().remove(new VolumeRef(v.name(), v.service()), true, dev.berth.core.service.SnapshotPolicy.DELETE);
        }
        for (var s : daemon.volumes().snapshots(null)) {
            daemon.volumes().removeSnapshot(new dev.berth.core.service.SnapshotRef(s.service(), s.volumeName(), s.name()));
        }
        daemon.close();
    }
}
