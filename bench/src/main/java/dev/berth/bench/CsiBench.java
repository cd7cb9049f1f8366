package dev.berth.bench;

import csi.v1.ControllerGrpc;
import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.berth.csi.CsiChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench/run csi [--volumes N=200] [--warm N=5]}: the CSI lifecycle of a mount volume, call by
 * call, as an orchestrator makes it: CreateVolume → ControllerPublishVolume → NodeStageVolume →
 * NodePublishVolume → NodeUnpublishVolume → NodeUnstageVolume → ControllerUnpublishVolume →
 * DeleteVolume, N times, each volume 64 MiB ext4 on the loop driver. Berth is a real all-in-one
 * {@code bin/berth serve} (its defaults: ext4 with multi-mount protection); the client is one warm
 * gRPC channel ({@link CsiChannel}) in this JVM on the real CSI socket.
 *
 * <p>Baseline, in the same run and interleaved (Berth's volume i, then the raw volume i): the same
 * host work with the raw tools started by bash (bench/sh/timed.sh {@code csi-cycle}): truncate;
 * losetup -f --show; mkfs.ext4 -q; mount; mount --bind; umount; umount; losetup -d; rm. The
 * controller calls have no raw equivalent (they are Berth's claims). Needs root.
 */
public final class CsiBench {
    /** The calls in lifecycle order; the smoke test checks each has a row. */
    static final List<String> CALLS = List.of("CreateVolume", "ControllerPublishVolume", "NodeStageVolume",
            "NodePublishVolume", "NodeUnpublishVolume", "NodeUnstageVolume", "ControllerUnpublishVolume", "DeleteVolume");
    /** The raw equivalent of each call (null: none); timed.sh csi-cycle prints one number per non-null entry. */
    static final List<String> RAW = java.util.Arrays.asList("truncate -s 64M", null,
            "losetup -f --show; mkfs.ext4 -q; mount -t ext4", "mount --bind", "umount (target)",
            "umount; losetup -d", null, "rm");
    /** The six calls of the hostpath figure (no ControllerPublish/Unpublish). */
    private static final List<String> SIX = List.of("CreateVolume", "NodeStageVolume", "NodePublishVolume",
            "NodeUnpublishVolume", "NodeUnstageVolume", "DeleteVolume");
    private static final long SIZE = 64L * 1024 * 1024;
    private static final long DEADLINE_S = 120;

    record Options(int volumes, int warm) {
        Options {
            if (volumes < 1 || warm < 0) {
                throw new IllegalArgumentException("--volumes must be at least 1, --warm at least 0");
            }
        }

        static Options parse(String[] args) {
            int volumes = 200;
            int warm = 5;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--volumes" -> volumes = Integer.parseInt(args[++i]);
                    case "--warm" -> warm = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                            + "'; use --volumes N (default 200) and --warm N (default 5)");
                }
            }
            return new Options(volumes, warm);
        }
    }

    /** Samples in nanoseconds: per call of Berth's (CALLS order), per raw step (RAW order, null rows empty). */
    record Result(Options options, long[][] berth, long[][] raw, long[] lifecycle, long[] six, long[] rawLifecycle,
                  String machine) {
        Stats call(int i) {
            return new Stats(berth[i]);
        }

        /** The table in Markdown. */
        String render() {
            StringBuilder out = new StringBuilder();
            out.append("| call | n | berth p50 ms | berth p99 ms | berth max ms | raw equivalent (bash) | raw p50 ms | "
                    + "raw p99 ms | ratio p50 |\n");
            out.append("|---|---|---|---|---|---|---|---|---|\n");
            for (int i = 0; i < CALLS.size(); i++) {
                row(out, CALLS.get(i), new Stats(berth[i]), RAW.get(i), RAW.get(i) == null ? null : Stats.micros(raw[i]));
            }
            row(out, "lifecycle, 8 calls", new Stats(lifecycle), "all 9 commands", Stats.micros(rawLifecycle));
            row(out, "the issue's 6 calls (no Controller(Un)Publish)", new Stats(six), "all 9 commands",
                    Stats.micros(rawLifecycle));
            return out.toString();
        }

        private static void row(StringBuilder out, String what, Stats b, String rawWhat, Stats r) {
            out.append(String.format("| %s | %d | %.2f | %.2f | %.2f | %s | %s | %s | %s |%n", what, b.n(), b.p50(), b.p99(),
                    b.max(), rawWhat == null ? "- (a claim in Berth's store)" : "`" + rawWhat + "`",
                    r == null ? "-" : String.format("%.2f", r.p50()), r == null ? "-" : String.format("%.2f", r.p99()),
                    r == null ? "-" : String.format("%.2fx", b.p50() / r.p50())));
        }
    }

    private final Options opt;
    private final Launcher berth;
    private final Path dir;

    private CsiBench(Options opt, Launcher berth, Path dir) {
        this.opt = opt;
        this.berth = berth;
        this.dir = dir;
    }

    public static void main(String[] args) throws Exception {
        Options opt = Options.parse(args);
        Result r = run(opt, Launcher.ofThisCheckout());
        System.out.printf("%s%nCSI lifecycle of %d volumes (64 MiB ext4, loop driver, all-in-one berth serve, one gRPC "
                        + "channel on the CSI socket), %d unmeasured warm-up lifecycles; raw baseline interleaved "
                        + "(Berth's volume i, then the raw volume i). For scale only: the issue quotes the reference "
                        + "hostpath driver at 31 ms p50 for its 6 calls on this kind of machine, with no real block device "
                        + "(no attach, no mkfs, no mount).%n%n",
                r.machine(), opt.volumes(), opt.warm());
        System.out.print(r.render());
    }

    static Result run(Options opt, Launcher berth) throws Exception {
        return Leftovers.inFreshFolder("berth-csibench-", dir -> new CsiBench(opt, berth, dir).measure());
    }

    private Result measure() throws Exception {
        String machine = String.format("cores: %d, JVM: %s, load at start: %s", Runtime.getRuntime().availableProcessors(),
                Runtime.version(), Files.readString(Path.of("/proc/loadavg")).strip());
        Path csiSocket = dir.resolve("csi.sock");
        Path cfg = dir.resolve("config.yml");
        Files.writeString(cfg, """
                node: csi-bench
                stateDir: %1$s/state
                socket: %1$s/berth.sock
                mountRoot: %1$s/volumes
                docker: {enabled: false}
                csi: {socket: %1$s/csi.sock}
                services:
                  local: {driver: loop, options: {pool: %1$s/pool}}
                """.formatted(dir));
        Path co = Files.createDirectories(dir.resolve("co")); // the orchestrator's folders (kubelet's)
        Path raw = Files.createDirectories(dir.resolve("raw"));
        int n = opt.volumes();
        long[][] calls = new long[CALLS.size()][n];
        long[][] rawSteps = new long[CALLS.size()][n];
        long[] lifecycle = new long[n];
        long[] six = new long[n];
        long[] rawLifecycle = new long[n];
        try (Serve serve = Serve.start(berth, cfg, dir.resolve("serve.log"), "", () -> probed(csiSocket),
                "answer Probe on " + csiSocket);
             CsiChannel channel = CsiChannel.open(csiSocket)) {
            Client c = new Client(channel, nodeId(channel));
            for (int w = 0; w < opt.warm(); w++) {
                c.lifecycle("warm-" + w, co, new long[CALLS.size()]);
                rawCycle(raw);
            }
            for (int i = 0; i < n; i++) {
                long[] t = new long[CALLS.size()];
                c.lifecycle("vol-" + i, co, t);
                for (int k = 0; k < t.length; k++) {
                    calls[k][i] = t[k];
                    lifecycle[i] += t[k];
                    six[i] += SIX.contains(CALLS.get(k)) ? t[k] : 0;
                }
                long[] r = rawCycle(raw);
                for (int k = 0, j = 0; k < RAW.size(); k++) {
                    if (RAW.get(k) != null) {
                        rawSteps[k][i] = r[j++];
                        rawLifecycle[i] += rawSteps[k][i];
                    }
                }
            }
        }
        return new Result(opt, calls, rawSteps, lifecycle, six, rawLifecycle, machine);
    }

    /** One raw cycle: the microseconds of each raw step, in RAW order (non-null entries). */
    private long[] rawCycle(Path raw) throws IOException, InterruptedException {
        Path mnt = Files.createDirectories(raw.resolve("mnt"));
        Path target = Files.createDirectories(raw.resolve("target"));
        long[] r = berth.timed(List.of("csi-cycle", raw.resolve("raw.img").toString(), mnt.toString(), target.toString(),
                Long.toString(SIZE)));
        long expected = RAW.stream().filter(java.util.Objects::nonNull).count();
        if (r.length != expected) {
            throw new IllegalStateException("timed.sh csi-cycle printed " + r.length + " numbers, expected " + expected);
        }
        return r;
    }

    private static String nodeId(CsiChannel channel) {
        return NodeGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                .nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance()).getNodeId();
    }

    /** Whether the CSI socket answers Probe with ready now. */
    private static boolean probed(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (CsiChannel c = CsiChannel.open(socket)) {
            return IdentityGrpc.newBlockingStub(c.channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue();
        } catch (StatusRuntimeException notYet) {
            sleep();
            return false;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The orchestrator's side: the eight calls with the requests kubelet and the sidecars send. */
    private record Client(CsiChannel channel, String node) {
        private static final Csi.VolumeCapability MOUNT = Csi.VolumeCapability.newBuilder()
                .setMount(Csi.VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder()
                        .setMode(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)).build();

        ControllerGrpc.ControllerBlockingStub controller() {
            return ControllerGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS);
        }

        NodeGrpc.NodeBlockingStub nodes() {
            return NodeGrpc.newBlockingStub(channel.channel()).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS);
        }

        /** One lifecycle of volume {@code name}; {@code t[k]} gets the nanoseconds of call k (CALLS order). */
        void lifecycle(String name, Path co, long[] t) throws IOException {
            Path staging = Files.createDirectories(co.resolve("staging").resolve(name));
            Path target = co.resolve("pods").resolve(name).resolve("mount"); // NodePublish makes it
            Files.createDirectories(target.getParent());
            long t0 = System.nanoTime();
            Csi.Volume v = controller().createVolume(Csi.CreateVolumeRequest.newBuilder().setName(name)
                    .setCapacityRange(Csi.CapacityRange.newBuilder().setRequiredBytes(SIZE))
                    .addVolumeCapabilities(MOUNT).putParameters("fsType", "ext4").build()).getVolume();
            long t1 = System.nanoTime();
            var published = controller().controllerPublishVolume(Csi.ControllerPublishVolumeRequest.newBuilder()
                    .setVolumeId(v.getVolumeId()).setNodeId(node).setVolumeCapability(MOUNT)
                    .putAllVolumeContext(v.getVolumeContextMap()).build());
            long t2 = System.nanoTime();
            nodes().nodeStageVolume(Csi.NodeStageVolumeRequest.newBuilder().setVolumeId(v.getVolumeId())
                    .setStagingTargetPath(staging.toString()).setVolumeCapability(MOUNT)
                    .putAllPublishContext(published.getPublishContextMap()).putAllVolumeContext(v.getVolumeContextMap())
                    .build());
            long t3 = System.nanoTime();
            nodes().nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder().setVolumeId(v.getVolumeId())
                    .setStagingTargetPath(staging.toString()).setTargetPath(target.toString()).setVolumeCapability(MOUNT)
                    .putAllPublishContext(published.getPublishContextMap()).putAllVolumeContext(v.getVolumeContextMap())
                    .build());
            long t4 = System.nanoTime();
            nodes().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder().setVolumeId(v.getVolumeId())
                    .setTargetPath(target.toString()).build());
            long t5 = System.nanoTime();
            nodes().nodeUnstageVolume(Csi.NodeUnstageVolumeRequest.newBuilder().setVolumeId(v.getVolumeId())
                    .setStagingTargetPath(staging.toString()).build());
            long t6 = System.nanoTime();
            controller().controllerUnpublishVolume(Csi.ControllerUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(v.getVolumeId()).setNodeId(node).build());
            long t7 = System.nanoTime();
            controller().deleteVolume(Csi.DeleteVolumeRequest.newBuilder().setVolumeId(v.getVolumeId()).build());
            long t8 = System.nanoTime();
            long[] at = {t0, t1, t2, t3, t4, t5, t6, t7, t8};
            for (int k = 0; k < t.length; k++) {
                t[k] = at[k + 1] - at[k];
            }
            if (Files.exists(target)) {
                throw new IllegalStateException("NodeUnpublishVolume left " + target + " behind");
            }
            Files.delete(staging);
        }
    }

    /** For callers that list the rows (the smoke test). */
    static List<String> rowNames() {
        List<String> rows = new ArrayList<>(CALLS);
        rows.add("lifecycle, 8 calls");
        rows.add("the issue's 6 calls (no Controller(Un)Publish)");
        return rows;
    }
}
