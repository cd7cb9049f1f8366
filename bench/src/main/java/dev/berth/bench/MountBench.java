package dev.berth.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.app.config.Config;
import dev.berth.app.daemon.Daemon;
import dev.berth.app.daemon.Wiring;
import dev.berth.core.service.Checkpoints;
import dev.berth.core.service.CreateVolume;
import dev.berth.core.service.VolumeView;
import dev.berth.host.ProcessRunner;
import dev.berth.protocols.rest.CreateVolumeBody;
import dev.berth.protocols.rest.MountBody;
import dev.berth.protocols.rest.RestClient;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The foundation benchmark: first mount and re-mount of a 1 GiB ext4 volume through Berth's API
 * against the raw tool sequence, run interleaved in the same process with the same process runner;
 * then inspect and list with many volumes in the store.
 *
 * <p>Args: {@code [iterations=15] [volumes=10000]}. Needs root.
 */
public final class MountBench {
    private static final Duration T = Duration.ofMinutes(2);
    private static final TypeReference<Object> ANY = new TypeReference<>() { };
    private final ProcessRunner run = new ProcessRunner();

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int volumes = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "berth-bench-");
        try {
            new MountBench().run(dir, iterations, volumes);
        } finally {
            deleteTree(dir);
        }
    }

    private void run(Path dir, int iterations, int volumes) throws Exception {
        Path cfgFile = dir.resolve("config.yml");
        Files.writeString(cfgFile, """
                node: bench
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker: {enabled: false}
                services:
                  local: {driver: loop, options: {pool: %1$s/pool}}
                """.formatted(dir));
        Config cfg = Wiring.configLoader().load(cfgFile, Map.of(), Map.of());
        Files.createDirectories(dir.resolve("raw"));
        int warm = 2;
        long[] rawFirst = new long[iterations];
        long[] rawRemount = new long[iterations];
        long[] berthFirst = new long[iterations];
        long[] berthRemount = new long[iterations];
        Table table = new Table();
        try (Daemon daemon = Daemon.start(cfg, Checkpoints.NONE);
             RestClient api = RestClient.unix(dir.resolve("berth.sock"))) {
            for (int i = -warm; i < iterations; i++) {
                String name = "v" + (i + warm);
                long raw1 = rawFirstMount(dir, name);
                long b1 = timed(() -> {
                    api.call(HttpMethod.POST, "/v1/volumes", new CreateVolumeBody(name, null, "1G", "ext4", null), ANY);
                    api.call(HttpMethod.POST, "/v1/volumes/" + name + "/mount", new MountBody("bench"), ANY);
                });
                api.call(HttpMethod.POST, "/v1/volumes/" + name + "/unmount", new MountBody("bench"), ANY);
                long raw2 = rawRemount(dir, name);
                long b2 = timed(() -> api.call(HttpMethod.POST, "/v1/volumes/" + name + "/mount", new MountBody("bench"), ANY));
                api.call(HttpMethod.POST, "/v1/volumes/" + name + "/unmount", new MountBody("bench"), ANY);
                api.call(HttpMethod.DELETE, "/v1/volumes/" + name, null, ANY);
                if (i >= 0) {
                    rawFirst[i] = raw1;
                    berthFirst[i] = b1;
                    rawRemount[i] = raw2;
                    berthRemount[i] = b2;
                }
            }
            table.row("first mount 1G ext4 (create+attach+mkfs+mount) vs truncate;losetup;mkfs.ext4;mount",
                    new Stats(berthFirst), new Stats(rawFirst), "<= 1.10x");
            table.row("re-mount formatted 1G vs losetup;mount", new Stats(berthRemount), new Stats(rawRemount), "<= 1.20x");

            long t0 = System.nanoTime();
            for (int i = 0; i < volumes; i++) {
                daemon.volumes().create(new CreateVolume(String.format("many-%05d", i), null, "1G", null, null));
            }
            System.out.printf("populated %d volumes in %.1f s%n", volumes, (System.nanoTime() - t0) / 1e9);
            Random rnd = new Random(42);
            long[] inspect = new long[1000];
            for (int i = 0; i < inspect.length; i++) {
                String name = String.format("many-%05d", rnd.nextInt(volumes));
                inspect[i] = timed(() -> api.call(HttpMethod.GET, "/v1/volumes/" + name, null, ANY));
            }
            long[] ls = new long[30];
            long[] lsInProcess = new long[30];
            for (int i = 0; i < ls.length; i++) {
                ls[i] = timed(() -> api.call(HttpMethod.GET, "/v1/volumes", null));
                lsInProcess[i] = timed(() -> {
                    List<VolumeView> all = daemon.volumes().list(null);
                    if (all.size() != volumes) {
                        throw new IllegalStateException("expected " + volumes + " volumes, got " + all.size());
                    }
                });
            }
            table.row("inspect by name, " + volumes + " volumes (REST; baseline: none)", new Stats(inspect), null, "-");
            table.row("ls of " + volumes + " volumes (REST+JSON) vs in-process list", new Stats(ls), new Stats(lsInProcess),
                    "< 200 ms");
        }
        table.print();
    }

    private long rawFirstMount(Path dir, String name) {
        Path file = dir.resolve("raw").resolve(name + ".img");
        Path mp = dir.resolve("raw").resolve(name);
        mkdirs(mp);
        long t0 = System.nanoTime();
        run.run(List.of("truncate", "-s", "1G", file.toString()), T);
        String dev = run.run(List.of("losetup", "-f", "--show", file.toString()), T).stdout().strip();
        run.run(List.of("mkfs.ext4", "-q", "-F", dev), T);
        run.run(List.of("mount", "-t", "ext4", dev, mp.toString()), T);
        long took = System.nanoTime() - t0;
        run.run(List.of("umount", mp.toString()), T);
        run.run(List.of("losetup", "-d", dev), T);
        return took;
    }

    private long rawRemount(Path dir, String name) {
        Path file = dir.resolve("raw").resolve(name + ".img");
        Path mp = dir.resolve("raw").resolve(name);
        long t0 = System.nanoTime();
        String dev = run.run(List.of("losetup", "-f", "--show", file.toString()), T).stdout().strip();
        run.run(List.of("mount", "-t", "ext4", dev, mp.toString()), T);
        long took = System.nanoTime() - t0;
        run.run(List.of("umount", mp.toString()), T);
        run.run(List.of("losetup", "-d", dev), T);
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return took;
    }

    private static long timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
