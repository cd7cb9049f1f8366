package dev.berth.bench;

import dev.berth.protocols.docker.PluginClient;
import dev.berth.protocols.docker.PluginClient.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * Closed-loop load on the plugin socket: {@code clients} threads, each with its own connection
 * (as dockerd keeps one per goroutine), each doing {@code ops} calls back to back. Every reply must
 * be 200, so a fast error can never pass for a fast answer.
 */
final class ClientLoad {
    /** Latencies of every call and the throughput over the wall time of the whole run. */
    record Result(Stats latency, double opsPerSecond) {
    }

    private ClientLoad() {
    }

    /** @param call one plugin call on a client, given a per-thread random source */
    static Result run(Path socket, int clients, int ops, BiFunction<PluginClient, Random, Reply> call) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<long[]>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                long seed = 42 + c;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    long[] samples = new long[ops];
                    try (PluginClient client = PluginClient.connect(socket)) {
                        call.apply(client, rnd); // connection set up before the clock starts
                        go.await();
                        for (int i = 0; i < ops; i++) {
                            long t0 = System.nanoTime();
                            Reply r = call.apply(client, rnd);
                            samples[i] = System.nanoTime() - t0;
                            if (r.status() != 200) {
                                throw new IllegalStateException("call failed: " + r.status() + " " + r.body());
                            }
                        }
                    }
                    return samples;
                }));
            }
            long start = System.nanoTime();
            go.countDown();
            long[] all = new long[clients * ops];
            int at = 0;
            for (Future<long[]> f : futures) {
                long[] s = f.get();
                System.arraycopy(s, 0, all, at, s.length);
                at += s.length;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(new Stats(all), all.length / seconds);
        } finally {
            pool.shutdownNow();
        }
    }
}
