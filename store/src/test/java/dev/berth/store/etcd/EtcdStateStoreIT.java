package dev.berth.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.StateStore;
import dev.berth.core.spi.StateStore.Compare;
import dev.berth.core.spi.StateStore.Lease;
import dev.berth.core.spi.StateStore.Op;
import dev.berth.core.spi.StateStore.WatchEvent;
import dev.berth.host.ProcessRunner;
import dev.berth.store.etcd.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What only a real etcd can show: members dying, compaction, its limits, TLS and users. */
@SuppressWarnings("try")
class EtcdStateStoreIT {
    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void killingOneOfThreeMembersKeepsReadsWritesLeasesAndWatchesWorking() {
        try (EtcdCluster cluster = EtcdCluster.start(3);
             EtcdStateStore store = EtcdContractSupport.openEmpty(EtcdContractSupport.freshNamespace(cluster))) {
            List<WatchEvent> seen = new CopyOnWriteArrayList<>();
            try (StateStore.Watch ignored = store.watch("w/", seen::add)) {
                Lease lease = store.grant(Duration.ofSeconds(10));
                store.txn(List.of(), List.of(new Op.Put("w/leased", bytes("1"), lease.id())));
                store.put("w/before", bytes("1"));
                cluster.kill9(0);
                cluster.awaitHealthy(); // a call in flight while the leader dies may time out: Unavailable, retried by callers
                long put = store.put("w/after", bytes("2"));
                assertEquals(put, store.get("w/after").orElseThrow().modRevision());
                assertEquals(List.of("w/after", "w/before", "w/leased"), store.list("w/").stream().map(StateStore.KeyValue::key).toList());
                store.keepAlive(lease.id());
                assertTrue(store.timeToLive(lease.id()).isPresent());
                Lease next = store.grant(Duration.ofSeconds(5));
                store.revoke(next.id());
                await("watch sees the write after the kill", () -> seen.stream().anyMatch(e -> e.kv().key().equals("w/after")));
                assertTrue(store.failure().isEmpty(), "two of three members are a quorum: " + store.failure());
            }
        }
    }

    @Test
    @Timeout(120)
    void allMembersDownIsUnavailableWithinTheDeadlineAndRecovers() throws Exception {
        try (EtcdCluster cluster = EtcdCluster.start(3);
             EtcdStateStore store = EtcdContractSupport.openEmpty(EtcdContractSupport.freshNamespace(cluster)
                     .withTimeout(Duration.ofSeconds(2)))) {
            Lease lease = store.grant(Duration.ofSeconds(30));
            store.put("k", bytes("v"));
            CompletableFuture<RuntimeException> watchFailed = new CompletableFuture<>();
            StateStore.Watch watch = store.watch("k", 0, new StateStore.WatchListener() {
                @Override
                public void event(WatchEvent event) {
                }

                @Override
                public void failed(RuntimeException cause) {
                    watchFailed.complete(cause);
                }
            });
            cluster.kill9All();
            List<String> timings = new ArrayList<>();
            record Call(String name, Runnable run) {
            }
            for (Call c : List.of(new Call("get", () -> store.get("k")), new Call("put", () -> store.put("k", bytes("w"))),
                    new Call("list", () -> store.list("")), new Call("grant", () -> store.grant(Duration.ofSeconds(5))),
                    new Call("keepAlive", () -> store.keepAlive(lease.id())), new Call("revision", store::revision))) {
                long start = System.nanoTime();
                Unavailable e = assertThrows(Unavailable.class, c.run()::run, c.name());
                timings.add(c.name() + " " + (System.nanoTime() - start) / 1_000_000 + " ms");
                assertTrue(e.getMessage().contains("127.0.0.1:" + cluster.clientPort(0)), e.getMessage());
                assertTrue(e.hint().contains("majority of the etcd members"), e.hint());
            }
            long start = System.nanoTime();
            assertTrue(store.failure().isPresent());
            timings.add("failure() " + (System.nanoTime() - start) / 1_000_000 + " ms");
            RuntimeException cause = watchFailed.get(30, TimeUnit.SECONDS);
            assertTrue(cause instanceof Unavailable, cause.toString());
            watch.close();
            System.out.println("time to Unavailable with every member killed (deadline 2 s): " + timings);

            for (int i = 0; i < cluster.size(); i++) {
                cluster.restart(i);
            }
            cluster.awaitHealthy();
            await("store answers again", () -> {
                try {
                    store.get("k");
                    return true;
                } catch (Unavailable notYet) {
                    return false;
                }
            });
            assertEquals("v", new String(store.get("k").orElseThrow().value(), UTF_8));
            store.put("k", bytes("after"));
            assertTrue(store.failure().isEmpty());
        }
    }

    @Test
    void watchFromACompactedRevisionSaysCompacted() throws Exception {
        try (EtcdCluster cluster = EtcdCluster.start(1);
             EtcdStateStore store = EtcdContractSupport.openEmpty(EtcdContractSupport.freshNamespace(cluster))) {
            long first = store.put("c/1", bytes("1"));
            store.put("c/1", bytes("2"));
            long last = store.put("c/1", bytes("3"));
            cluster.etcdctl("compact", Long.toString(last));
            CompletableFuture<Long> compacted = new CompletableFuture<>();
            List<WatchEvent> events = new CopyOnWriteArrayList<>();
            try (StateStore.Watch ignored = store.watch("c/", first, new StateStore.WatchListener() {
                @Override
                public void event(WatchEvent event) {
                    events.add(event);
                }

                @Override
                public void compacted(long compactRevision) {
                    compacted.complete(compactRevision);
                }
            })) {
                assertEquals(last, compacted.get(30, TimeUnit.SECONDS));
                assertEquals(List.of(), events);
            }
            // From the revision a range gives, the watch works.
            StateStore.Range range = store.range("c/");
            List<WatchEvent> after = new CopyOnWriteArrayList<>();
            try (StateStore.Watch ignored = store.watch("c/", range.revision() + 1, after::add)) {
                store.put("c/2", bytes("x"));
                await("event after re-list", () -> !after.isEmpty());
            }
        }
    }

    @Test
    void createRevisionCompareSurvivesAnUpdateButNotARecreate() {
        try (EtcdCluster cluster = EtcdCluster.start(1);
             EtcdStateStore store = EtcdContractSupport.openEmpty(EtcdContractSupport.freshNamespace(cluster))) {
            assertTrue(store.txn(List.of(Compare.absent("claim")), List.of(new Op.Put("claim", bytes("a"), 0))).succeeded());
            long created = store.get("claim").orElseThrow().createRevision();
            long updated = store.put("claim", bytes("a, renewed"));
            assertTrue(store.txn(List.of(Compare.createRevision("claim", created)), List.of()).succeeded());
            assertFalse(store.txn(List.of(Compare.modRevision("claim", created)), List.of()).succeeded());
            assertTrue(store.txn(List.of(Compare.modRevision("claim", updated)), List.of()).succeeded());
            assertFalse(store.txn(List.of(Compare.createRevision("claim", 0)), List.of()).succeeded(), "present, not absent");
            store.delete("claim");
            store.put("claim", bytes("b"));
            assertFalse(store.txn(List.of(Compare.createRevision("claim", created)), List.of(new Op.Delete("claim"))).succeeded());
            assertTrue(store.get("claim").isPresent());
        }
    }

    @Test
    void transactionOverEtcdsOperationLimitIsRefusedClearly() {
        try (EtcdCluster cluster = EtcdCluster.start(1);
             EtcdStateStore store = EtcdContractSupport.openEmpty(EtcdContractSupport.freshNamespace(cluster))) {
            long before = store.revision();
            List<Op> ops = new ArrayList<>();
            for (int i = 0; i < 129; i++) {
                ops.add(new Op.Put("many/" + i, bytes("v"), 0));
            }
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> store.txn(List.of(), ops));
            assertTrue(e.getMessage().contains("too many operations") && e.getMessage().contains("128"), e.getMessage());
            assertEquals("split the change into transactions of at most 128 operations", e.hint());
            assertEquals(before, store.revision());
            assertTrue(store.txn(List.of(), ops.subList(0, 128)).succeeded(), "128 is within the limit");
        }
    }

    @Test
    void neverWrittenNamespaceIsAtRevisionZeroUntilItsFirstWrite() {
        try (EtcdCluster cluster = EtcdCluster.start(1)) {
            EtcdSettings settings = EtcdContractSupport.freshNamespace(cluster);
            cluster.etcdctl("put", "/elsewhere", "moves the cluster's revision");
            try (EtcdStateStore store = EtcdStateStore.open(settings)) {
                assertEquals(0, store.revision(), "nothing was ever written under " + settings.prefix());
                store.delete("missing");
                assertEquals(0, store.revision(), "a delete of nothing is no write");
                long put = store.put("k", bytes("v"));
                assertEquals(put, store.revision());
                store.delete("k");
                assertTrue(store.revision() > 0, "written once, even if empty now");
                List<WatchEvent> events = new CopyOnWriteArrayList<>();
                try (StateStore.Watch ignored = store.watch("", events::add)) {
                    store.put("k2", bytes("v"));
                    await("event", () -> !events.isEmpty());
                }
                assertEquals(List.of("k2"), store.list("").stream().map(StateStore.KeyValue::key).toList(), "the marker is no key");
                assertEquals(List.of("k2"), events.stream().map(e -> e.kv().key()).toList());
            }
            try (EtcdStateStore reopened = EtcdStateStore.open(settings)) {
                assertTrue(reopened.revision() > 0);
            }
            cluster.etcdctl("del", "--prefix", settings.prefix());
            try (EtcdStateStore wiped = EtcdStateStore.open(settings)) {
                assertEquals(0, wiped.revision(), "a wiped prefix looks never written: lost state");
            }
        }
    }

    @Test
    void userAndPasswordAreUsedAndWrongOnesRefused() {
        try (EtcdCluster cluster = EtcdCluster.start(1)) {
            cluster.etcdctl("user", "add", "root:root-secret");
            cluster.etcdctl("user", "add", "berth:berth-secret");
            cluster.etcdctl("role", "add", "berth-rw");
            cluster.etcdctl("role", "grant-permission", "berth-rw", "--prefix=true", "readwrite", "/berth-auth/");
            cluster.etcdctl("user", "grant-role", "berth", "berth-rw");
            cluster.etcdctl("auth", "enable");
            EtcdSettings base = EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-auth/");
            try (EtcdStateStore store = EtcdStateStore.open(base.withUser("berth", "berth-secret"))) {
                store.put("k", bytes("v"));
                Lease lease = store.grant(Duration.ofSeconds(5));
                store.txn(List.of(), List.of(new Op.Put("leased", bytes("v"), lease.id())));
                store.keepAlive(lease.id());
                assertEquals("v", new String(store.get("k").orElseThrow().value(), UTF_8));
            }
            // Refused at open (it reads the namespace's marker), so a controller with a wrong password does not start.
            BackendFailure wrong = assertThrows(BackendFailure.class, () -> EtcdStateStore.open(base.withUser("berth", "wrong")));
            assertTrue(wrong.hint().contains("store.etcd.user"), wrong.getMessage() + " / " + wrong.hint());
            assertThrows(BackendFailure.class, () -> EtcdStateStore.open(base), "no user: refused");
            BackendFailure outside = assertThrows(BackendFailure.class,
                    () -> EtcdStateStore.open(base.withPrefix("/other/").withUser("berth", "berth-secret")));
            assertTrue(outside.getMessage().contains("permission denied"), outside.getMessage());
        }
    }

    @Test
    void tlsWithClientCertificates() throws Exception {
        Path ca = tmp.resolve("ca.pem");
        Path caKey = tmp.resolve("ca.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=berth-test-ca", "-keyout", caKey.toString(), "-out", ca.toString());
        Path serverCert = signed("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth", ca, caKey);
        Path clientCert = signed("client", "extendedKeyUsage=clientAuth", ca, caKey);
        EtcdCluster.Options options = EtcdCluster.Options.defaults()
                .withTls(new EtcdCluster.Tls(serverCert, tmp.resolve("server.key"), ca));
        try (EtcdCluster cluster = EtcdCluster.start(1, options)) {
            assertTrue(cluster.endpoints().startsWith("etcds://"));
            EtcdSettings base = EtcdSettings.of(cluster.endpoints()).withPrefix("/berth-tls/").withTimeout(Duration.ofSeconds(3));
            try (EtcdStateStore store = EtcdContractSupport.openEmpty(base.withTls(ca, clientCert, tmp.resolve("client.key")))) {
                long rev = store.put("k", bytes("v"));
                assertEquals(rev, store.get("k").orElseThrow().modRevision());
            }
            base = base.withTimeout(Duration.ofSeconds(1)); // the refusals below wait for it
            try (EtcdStateStore noClientCert = EtcdStateStore.open(base.withTls(ca, null, null))) {
                assertThrows(Unavailable.class, () -> noClientCert.get("k"), "the member wants a client certificate");
            }
            try (EtcdStateStore untrusted = EtcdStateStore.open(base)) {
                assertThrows(Unavailable.class, () -> untrusted.get("k"), "the JVM's CAs do not know the test CA");
            }
            try (EtcdStateStore plain = EtcdStateStore.open(EtcdSettings.of(cluster.endpoints().replace("etcds://", "etcd://"))
                    .withTimeout(Duration.ofSeconds(1)))) {
                assertThrows(Unavailable.class, () -> plain.get("k"));
            }
        }
    }

    private Path signed(String name, String extensions, Path ca, Path caKey) throws Exception {
        Path key = tmp.resolve(name + ".key");
        Path csr = tmp.resolve(name + ".csr");
        Path cert = tmp.resolve(name + ".pem");
        Path ext = tmp.resolve(name + ".ext");
        Files.writeString(ext, extensions + "\n");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", key.toString(), "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                "-days", "1", "-extfile", ext.toString(), "-out", cert.toString());
        return cert;
    }

    private static void openssl(String... args) {
        List<String> argv = new ArrayList<>(List.of("openssl"));
        argv.addAll(List.of(args));
        ProcessRunner runner = new ProcessRunner();
        argv.set(0, runner.resolve("openssl").toString());
        runner.run(argv, Duration.ofSeconds(30));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("gave up waiting: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted: " + what);
            }
        }
    }
}
