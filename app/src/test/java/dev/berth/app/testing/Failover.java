package dev.berth.app.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.host.ProcessRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * One fail-over scenario on a {@link MultiHost}, with the issue's checks. A writer container on hA
 * appends fsync'd records {@code a-<n>} to {@code /data/log} on the volume and, after each fsync,
 * logs the record to an acknowledgement file outside the volume; then hA fails (killed, cut off,
 * or only its agent killed), and {@code docker run} on hB, started right away and never retried
 * (unless {@link Options#retryB}), writes {@code b-<n>} records. B's container logs {@code b-start}
 * to the same acknowledgement file before its first write: both writers append to one file on one
 * kernel, so its order is the order of events, no clock needed.
 *
 * <p>Checks ({@link Result#problems}): B's docker run succeeded; every {@code a-} record
 * acknowledged before {@code b-start} is in the log; no {@code a-} record comes after the first
 * {@code b-} record in the log; {@code e2fsck -fn} of the image is clean once B let go (the log and
 * the check are taken from a copy whose journal is replayed first if it needs it: what the next
 * mount would see; fsync'd records may still be only in the journal, which debugfs does not read); host A,
 * when back (or still cut off), holds nothing of the volume (no mount in its namespace or its
 * containers', no loop device in its record, no grant naming it) and its agent log says what it gave up.
 */
public final class Failover {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GAVE_UP = Pattern.compile("(?i)fenc|gave up|give up|giving up|let go|released|relinquish");
    public static final String A = "hA";
    public static final String B = "hB";

    public enum Scenario {
        /** hA killed (its kernel's mounts and loop devices gone), later rebooted. */
        KILLED,
        /** hA cut off from the network; its writer keeps running; checked while still cut off. */
        CUT,
        /** Only hA's agent killed; hA and its containers live on; the agent starts again once the volume was taken over (hB's mount waits for it behind ext4 MMP). */
        AGENT,
        /** hA cut off, healed after B took over. */
        HEAL;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param ttl       the lease TTL in use (how long to wait for a host to settle: a few of them)
     * @param bRecords  how many records B writes
     * @param retryB    retry B's docker run until it succeeds (the manual step a safe Berth must not need;
     *                  only to look at what an unsafe one does afterwards)
     * @param bPatience how long B's docker run may take (Docker's Mount waiting for the takeover)
     */
    public record Options(Duration ttl, int bRecords, boolean retryB, Duration bPatience) {
        public static Options ci() {
            return new Options(Duration.ofSeconds(2), 25, false, Duration.ofSeconds(90));
        }
    }

    /**
     * What one run saw. Times are from the failure: B's container started (its volume mounted) and
     * B's first acknowledged record; -1 if it never happened.
     */
    public record Result(Scenario scenario, String volume, boolean bRan, int ackedBeforeB, List<String> lostAcked,
                         int aAfterB, boolean fsckClean, boolean journalNeededRecovery, String fsck, List<String> aHolds, boolean aSaidWhat,
                         long mountedMs, long firstAckMs, int bAttempts, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final MultiHost mh;
    private final Options options;
    private final ProcessRunner runner = new ProcessRunner();

    public Failover(MultiHost mh, Options options) {
        this.mh = mh;
        this.options = options;
    }

    public Result run(Scenario scenario, String volume) throws Exception {
        Path acks = mh.dir.resolve("acks").resolve(volume);
        Files.createDirectories(acks, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Path ackFile = acks.resolve("acks");
        Files.writeString(ackFile, "");
        ok(mh.admin("volume", "create", volume, "--size", "64M"), "volume create");
        String image = imageOf(volume);
        String writer = "wa-" + volume;
        ok(mh.docker(A, Duration.ofMinutes(2), "run", "-d", "--name", writer, "--network", "none", "--volume-driver", "berth",
                "-v", volume + ":/data", "-v", acks + ":/ack", "local/busybox", "sh", "-c",
                "n=0; while :; do n=$((n+1)); echo a-$n >> /data/log && sync -d /data/log && echo a-$n >> /ack/acks; usleep 20000; done"),
                "writer on " + A);
        awaitLines(ackFile, "a-", 20, Duration.ofSeconds(60));
        int agentLogStart = mh.agentLog(A).length();

        long t0 = System.nanoTime();
        switch (scenario) {
            case KILLED -> mh.killHost(A);
            case CUT, HEAL -> mh.cut(A);
            case AGENT -> mh.killAgent(A);
        }
        CompletableFuture<int[]> bRun = CompletableFuture.supplyAsync(() -> runB(volume, acks));
        long mounted = -1;
        long firstAck = -1;
        long deadline = System.nanoTime() + options.bPatience().toNanos() + Duration.ofSeconds(30).toNanos();
        // Only the agent died: its writer keeps the filesystem mounted, so ext4's guard holds B's mount
        // back until the agent is back (as its supervisor would bring it) and gives the volume up. It
        // comes back once the volume was taken over: earlier, with its lease alive, it would keep it.
        CompletableFuture<Void> agentBack = null;
        long nextLook = 0;
        while (!bRun.isDone() || mounted < 0 || firstAck < 0) {
            if (scenario == Scenario.AGENT && agentBack == null && System.nanoTime() > nextLook) {
                nextLook = System.nanoTime() + Duration.ofMillis(500).toNanos();
                var inspect = mh.admin("volume", "inspect", volume, "-o", "json");
                boolean takenOver = inspect.stdout().contains("\"node\" : \"" + MultiHost.node(B) + "\"");
                // A supervisor would bring the agent back after a while anyway: at the latest a few TTLs on.
                boolean supervisor = System.nanoTime() - t0 > options.ttl().multipliedBy(3).plusSeconds(5).toNanos();
                if (takenOver || supervisor) {
                    System.err.println("failover: " + A + "'s agent starts again (" + (takenOver ? "the volume was taken over"
                            : "after " + (System.nanoTime() - t0) / 1_000_000 + " ms; inspect said: " + inspect.stdout().strip()
                            + inspect.stderr().strip()) + ")");
                    // Its own thread: the common pool may have one worker, busy with B's run.
                    CompletableFuture<Void> back = new CompletableFuture<>();
                    Thread.ofPlatform().name("failover-agent-back").start(() -> {
                        try {
                            mh.startAgent(A);
                            back.complete(null);
                        } catch (RuntimeException e) {
                            back.completeExceptionally(e);
                        }
                    });
                    agentBack = back;
                }
            }
            List<String> lines = lines(ackFile);
            if (mounted < 0 && lines.contains("b-start")) {
                mounted = System.nanoTime();
            }
            if (firstAck < 0 && lines.contains("b-1")) {
                firstAck = System.nanoTime();
            }
            if (bRun.isDone() && (mounted < 0 || firstAck < 0) && !lines.contains("b-1")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(10);
        }
        int[] b = bRun.get();
        boolean bRan = b[0] == 0;
        List<String> problems = new ArrayList<>();
        if (!bRan) {
            problems.add("docker run on " + B + " failed after " + b[1] + " attempt(s): " + lastBError);
        }

        // Let B let go (its container is --rm), then bring A back as the scenario says.
        awaitNoMount(B, volume, Duration.ofSeconds(60));
        switch (scenario) {
            case KILLED -> mh.startHost(A);
            case AGENT -> {
                if (agentBack == null) {
                    mh.startAgent(A);
                } else {
                    agentBack.get();
                }
            }
            case HEAL -> mh.heal(A);
            case CUT -> { }
        }
        // A settles: a safe A gives the volume up by itself within a few TTLs of getting back.
        List<String> aHolds = awaitAHoldsNothing(volume, image, scenario == Scenario.CUT
                ? Duration.ofSeconds(1) : options.ttl().multipliedBy(4).plusSeconds(10));
        String aLog = mh.agentLog(A).substring(Math.min(agentLogStart, mh.agentLog(A).length()));
        boolean aSaid = aLog.lines().anyMatch(l -> l.contains(volume) && GAVE_UP.matcher(l).find());

        List<String> acked = lines(ackFile);
        int boundary = acked.indexOf("b-start");
        List<String> ackedA = (boundary < 0 ? acked : acked.subList(0, boundary)).stream().filter(l -> l.startsWith("a-")).toList();
        // The image as the next mount would see it: a copy with its journal replayed (records that
        // were fsync'd may still be only in the journal; debugfs does not read the journal).
        Path copy = mh.dir.resolve("check-" + volume + ".img");
        List<String> log;
        ProcessRunner.Result fsck;
        boolean needsRecovery;
        try {
            runner.run(List.of("cp", "--sparse=always", image, copy.toString()), Duration.ofMinutes(2));
            ProcessRunner.Result original = runner.runAllowingExit(List.of("e2fsck", "-fn", copy.toString()), Duration.ofMinutes(2), MultiHost.anyExit());
            needsRecovery = (original.stdout() + original.stderr()).contains("skipping journal recovery");
            if (needsRecovery) {
                runner.runAllowingExit(List.of("e2fsck", "-E", "journal_only", "-y", copy.toString()), Duration.ofMinutes(2), MultiHost.anyExit());
            }
            fsck = runner.runAllowingExit(List.of("e2fsck", "-fn", copy.toString()), Duration.ofMinutes(2), MultiHost.anyExit());
            log = volumeLog(copy.toString());
        } finally {
            Files.deleteIfExists(copy);
        }
        Set<String> onVolume = new HashSet<>(log);
        List<String> lost = ackedA.stream().filter(r -> !onVolume.contains(r)).toList();
        int firstB = -1;
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).startsWith("b-")) {
                firstB = i;
                break;
            }
        }
        int aAfterB = firstB < 0 ? 0 : (int) log.subList(firstB, log.size()).stream().filter(l -> l.startsWith("a-")).count();
        boolean fsckClean = fsck.exitCode() == 0;

        if (!lost.isEmpty()) {
            problems.add(lost.size() + " record(s) acknowledged by A before B started are not on the volume: " + head(lost));
        }
        if (aAfterB > 0) {
            problems.add(aAfterB + " a- record(s) in the log after B's first record (two writers)");
        }
        if (bRan && firstB < 0) {
            problems.add("B's docker run succeeded but no b- record is in the log");
        }
        if (!fsckClean) {
            problems.add("e2fsck -fn of " + image + (needsRecovery ? " (journal replayed on a copy first)" : "")
                    + " exit " + fsck.exitCode() + ": " + tail(fsck.stdout() + fsck.stderr()));
        }
        if (!aHolds.isEmpty()) {
            problems.add(A + " still holds " + aHolds);
        }
        if (!aSaid) {
            problems.add(A + "'s agent log names " + volume + " nowhere with what it gave up");
        }
        cleanUp(scenario, writer);
        return new Result(scenario, volume, bRan, ackedA.size(), lost, aAfterB, fsckClean, needsRecovery, tail(fsck.stdout()), aHolds, aSaid,
                mounted < 0 ? -1 : (mounted - t0) / 1_000_000, firstAck < 0 ? -1 : (firstAck - t0) / 1_000_000, b[1], problems);
    }

    private volatile String lastBError = "";

    /** B's docker run; returns {exit code, attempts}. */
    private int[] runB(String volume, Path acks) {
        int attempts = 0;
        long deadline = System.nanoTime() + options.bPatience().toNanos();
        while (true) {
            attempts++;
            ProcessRunner.Result r = mh.docker(B, options.bPatience().plusSeconds(30), "run", "--rm", "--network", "none",
                    "--volume-driver", "berth", "-v", volume + ":/data", "-v", acks + ":/ack", "local/busybox", "sh", "-c",
                    "echo b-start >> /ack/acks; n=0; while [ $n -lt " + options.bRecords() + " ]; do n=$((n+1)); "
                            + "echo b-$n >> /data/log && sync -d /data/log && echo b-$n >> /ack/acks; usleep 20000; done");
            if (r.exitCode() == 0) {
                return new int[] {0, attempts};
            }
            lastBError = (r.stderr() + r.stdout()).strip();
            if (!options.retryB() || System.nanoTime() > deadline) {
                return new int[] {r.exitCode(), attempts};
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new int[] {r.exitCode(), attempts};
            }
        }
    }

    private List<String> awaitAHoldsNothing(String volume, String image, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            List<String> holds = aHolds(volume, image);
            if (holds.isEmpty() || System.nanoTime() > deadline) {
                return holds;
            }
            Thread.sleep(100);
        }
    }

    /**
     * What host A still has of the volume: mounts in its namespace or in any of its processes'
     * (containers have their own), loop devices in its record, grants.
     */
    public List<String> aHolds(String volume, String image) throws IOException {
        List<String> holds = new ArrayList<>();
        for (String m : mh.mountsOf(A)) {
            if (m.startsWith(mh.mountRoot(A).resolve(volume) + "/") || m.equals(mh.mountRoot(A).resolve(volume).toString())) {
                holds.add("mount " + m);
            }
        }
        for (String m : mh.imageMountsOf(A, image)) {
            holds.add("mount of the image " + m);
        }
        for (String l : mh.recordedLoopFiles(A)) {
            if (l.endsWith("=" + image)) {
                holds.add("loop device " + l);
            }
        }
        String id = Path.of(image).getFileName().toString().replace(".img", "");
        for (Path g : mh.grantFilesNaming(A, volume, id)) {
            holds.add("grant in " + g);
        }
        return holds;
    }

    private void awaitNoMount(String x, String volume, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        String root = mh.mountRoot(x).resolve(volume).toString();
        while (mh.mountsOf(x).stream().anyMatch(m -> m.startsWith(root)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private void cleanUp(Scenario scenario, String writer) {
        if (scenario == Scenario.CUT) {
            mh.heal(A);
        }
        mh.docker(A, Duration.ofMinutes(1), "rm", "-f", writer);
    }

    private String imageOf(String volume) throws IOException {
        ProcessRunner.Result r = ok(mh.admin("volume", "inspect", volume, "-o", "json"), "volume inspect");
        JsonNode file = JSON.readTree(r.stdout()).path("details").path("file");
        if (!file.isTextual()) {
            throw new IllegalStateException("volume inspect shows no image file: " + r.stdout());
        }
        return file.asText();
    }

    /** /data/log as it is on the image (debugfs reads the file system without mounting it). */
    private List<String> volumeLog(String image) {
        ProcessRunner.Result r = runner.runAllowingExit(List.of("debugfs", "-R", "cat /data/log", image), Duration.ofMinutes(1), MultiHost.anyExit());
        return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static List<String> lines(Path f) throws IOException {
        return Files.readAllLines(f, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static void awaitLines(Path f, String prefix, int n, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (lines(f).stream().filter(l -> l.startsWith(prefix)).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the writer acknowledged fewer than " + n + " records in " + patience + ": " + lines(f));
            }
            Thread.sleep(20);
        }
    }

    private static ProcessRunner.Result ok(ProcessRunner.Result r, String what) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException(what + " failed (exit " + r.exitCode() + "): " + r.stderr() + r.stdout());
        }
        return r;
    }

    private static String head(List<String> l) {
        return l.size() <= 10 ? l.toString() : l.subList(0, 10) + " …";
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 600 ? t : "…" + t.substring(t.length() - 600);
    }
}
