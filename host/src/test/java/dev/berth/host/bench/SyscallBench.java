package dev.berth.host.bench;

import dev.berth.core.model.FsType;
import dev.berth.host.BenchAccess;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.ProcessRunner;
import dev.berth.host.SyscallMode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Not a test: a benchmark, run by hand as root (docs/benchmarks.md, "System calls"). Every
 * variant runs once per round, in turn (A B A B …), so load from other work on the machine hits
 * all of them alike; p50 and min per variant. Arguments: a work folder, rounds (default 40).
 *
 * <pre>java -cp host/target/classes:host/target/test-classes:core/target/classes \
 *   --enable-native-access=ALL-UNNAMED dev.berth.host.bench.SyscallBench /var/tmp/bench 40</pre>
 */
public final class SyscallBench {
    private static final long MIB = 1L << 20;

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/var/tmp/berth-syscall-bench"));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        String only = args.length > 2 ? args[2] : "all";
        ProcessRunner runner = new ProcessRunner();
        LinuxHostOps nat = new LinuxHostOps(runner, SyscallMode.NATIVE);
        LinuxHostOps tools = new LinuxHostOps(runner, SyscallMode.TOOLS);
        if (only.equals("all") || only.equals("loop")) {
            Path img = sparse(dir.resolve("loop.img"), 64 * MIB);
            Map<String, Supplier<Long>> v = new LinkedHashMap<>();
            v.put("attach+detach native", () -> time(() -> nat.loopDetach(nat.loopAttach(img))));
            v.put("attach+detach tools (losetup)", () -> time(() -> tools.loopDetach(tools.loopAttach(img))));
            run("loop device", rounds, v);
        }
        if (only.equals("all") || only.equals("mount")) {
            Path img = sparse(dir.resolve("mount.img"), 64 * MIB);
            Path dev = nat.loopAttach(img);
            nat.makeFilesystem(dev, FsType.EXT4);
            Path mnt = Files.createDirectories(dir.resolve("mnt"));
            var virtual = Executors.newVirtualThreadPerTaskExecutor();
            Map<String, Supplier<Long>> v = new LinkedHashMap<>();
            v.put("mount+umount native", () -> time(() -> {
                nat.mount(dev, mnt, "ext4", List.of());
                nat.unmount(mnt);
            }));
            v.put("mount+umount native, virtual thread", () -> {
                try {
                    return virtual.submit(() -> time(() -> {
                        nat.mount(dev, mnt, "ext4", List.of());
                        nat.unmount(mnt);
                    })).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            v.put("mount+umount tools (mount, umount)", () -> time(() -> {
                tools.mount(dev, mnt, "ext4", List.of());
                tools.unmount(mnt);
            }));
            run("mount", rounds, v);
            virtual.close();
            nat.loopDetach(dev);
        }
        if (only.equals("all") || only.equals("dio")) {
            dio(dir, rounds, runner);
        }
    }

    /** LO_FLAGS_DIRECT_IO or not: first mount of a 1 GiB ext4 volume, then a 256 MiB write + fsync in it. */
    private static void dio(Path dir, int rounds, ProcessRunner runner) throws Exception {
        Map<String, long[]> first = new LinkedHashMap<>();
        Map<String, long[]> write = new LinkedHashMap<>();
        Map<Boolean, LinuxHostOps> hosts = Map.of(false, BenchAccess.host(runner, false), true, BenchAccess.host(runner, true));
        for (boolean d : List.of(false, true)) {
            first.put(d ? "direct I/O" : "buffered", new long[rounds]);
            write.put(d ? "direct I/O" : "buffered", new long[rounds]);
        }
        Path mnt = Files.createDirectories(dir.resolve("dio-mnt"));
        byte[] block = new byte[(int) MIB];
        Arrays.fill(block, (byte) 0x5a);
        for (int r = -2; r < rounds; r++) {
            for (boolean d : List.of(false, true)) {
                LinuxHostOps h = hosts.get(d);
                Path img = dir.resolve("dio.img");
                Files.deleteIfExists(img);
                sparse(img, 1024 * MIB);
                long t0 = System.nanoTime();
                Path dev = h.loopAttach(img);
                h.makeFilesystem(dev, FsType.EXT4);
                h.mount(dev, mnt, "ext4", List.of());
                long t1 = System.nanoTime();
                try (FileChannel c = FileChannel.open(mnt.resolve("data"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    for (int i = 0; i < 256; i++) {
                        c.write(ByteBuffer.wrap(block));
                    }
                    c.force(true);
                }
                long t2 = System.nanoTime();
                h.unmount(mnt);
                h.loopDetach(dev);
                if (r >= 0) {
                    String k = d ? "direct I/O" : "buffered";
                    first.get(k)[r] = t1 - t0;
                    write.get(k)[r] = t2 - t1;
                }
            }
        }
        System.out.println("## loop direct I/O (" + rounds + " rounds, interleaved)");
        first.forEach((k, t) -> System.out.println(row("first mount 1 GiB ext4 (attach+mkfs+mount), " + k, t)));
        write.forEach((k, t) -> {
            long[] s = t.clone();
            Arrays.sort(s);
            System.out.printf("| write 256 MiB + fsync, %s | %.1f ms | %.1f ms | %.0f MiB/s at p50 |%n", k,
                    s[s.length / 2] / 1e6, s[0] / 1e6, 256 / (s[s.length / 2] / 1e9));
        });
    }

    private static void run(String title, int rounds, Map<String, Supplier<Long>> variants) {
        Map<String, long[]> samples = new LinkedHashMap<>();
        variants.keySet().forEach(k -> samples.put(k, new long[rounds]));
        for (int r = -5; r < rounds; r++) {
            for (var e : variants.entrySet()) {
                long t = e.getValue().get();
                if (r >= 0) {
                    samples.get(e.getKey())[r] = t;
                }
            }
        }
        System.out.println("## " + title + " (" + rounds + " rounds, interleaved, after 5 warm-up rounds)");
        System.out.println("| variant | p50 | min |");
        samples.forEach((k, t) -> System.out.println(row(k, t)));
    }

    private static String row(String name, long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return String.format("| %s | %.2f ms | %.2f ms |", name, s[s.length / 2] / 1e6, s[0] / 1e6);
    }

    private static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    private static Path sparse(Path f, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        return f;
    }
}
