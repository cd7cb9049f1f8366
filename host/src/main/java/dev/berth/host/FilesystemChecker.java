package dev.berth.host;

import dev.berth.core.spi.HostOps.FilesystemCheck;
import dev.berth.core.spi.HostOps.FilesystemCheck.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The check before a mount. The superblock is read first ({@link Superblocks}); the filesystem's
 * own tool runs only when it records something to check, or when asked to after a failed mount:
 *
 * <ul>
 *   <li>ext4: {@code e2fsck -p} (preen) replays the journal and fixes what is safe to fix without
 *       a human. Exit 0 = clean, 1 or 2 = fixed; 4 and above = errors left or no check possible.</li>
 *   <li>xfs: {@code xfs_repair -n} only reports (exit 1 = problems). xfs keeps no "has errors"
 *       record on disk, so a clean superblock is trusted; a dirty log is replayed by the kernel
 *       at mount and {@code xfs_repair -n} cannot check past it, which is said, not hidden.</li>
 * </ul>
 */
final class FilesystemChecker {
    /** A full check of a large filesystem takes long; the volume's lock is held meanwhile. */
    private static final Duration TIMEOUT = Duration.ofMinutes(60);
    /** Every exit code is an answer here: the outcome is decided from it, not by the runner. */
    private static final Set<Integer> ANY_EXIT = IntStream.range(0, 256).boxed().collect(Collectors.toUnmodifiableSet());
    private static final int MESSAGE_CHARS = 1500;

    private final ProcessRunner runner;

    FilesystemChecker(ProcessRunner runner) {
        this.runner = runner;
    }

    FilesystemCheck check(Path device, String fsType, boolean always) {
        HostPaths.check("device", device);
        return switch (fsType) {
            case "ext4" -> ext4(device, always);
            case "xfs" -> xfs(device, always);
            default -> new FilesystemCheck(Outcome.UNKNOWN, null, "Berth has no check for " + fsType);
        };
    }

    private FilesystemCheck ext4(Path device, boolean always) {
        Optional<List<String>> problems = Superblocks.ext4(device);
        if (problems.isEmpty() && !always) {
            return new FilesystemCheck(Outcome.UNKNOWN, null, "no ext4 superblock on " + device);
        }
        if (problems.isPresent() && problems.get().isEmpty() && !always) {
            return new FilesystemCheck(Outcome.CLEAN, null, "");
        }
        List<String> argv = List.of("e2fsck", "-p", device.toString());
        long start = System.nanoTime();
        ProcessRunner.Result r = runner.runAllowingExit(argv, TIMEOUT, ANY_EXIT);
        int code = r.exitCode();
        if (code >= 4) {
            // e2fsck honours multi-mount protection too: refusing to touch a filesystem another
            // kernel has mounted is the guard at work, not an error found in the filesystem.
            String said = CommandLine.render(argv) + " (exit " + code + "): "
                    + CommandLine.tail(progressLess(r.stdout() + "\n" + r.stderr()), MESSAGE_CHARS);
            Optional<dev.berth.core.error.GuardRefused> refused = MultiMountProtection.refusal(device,
                    Duration.ofNanos(System.nanoTime() - start), said, null);
            if (refused.isPresent()) {
                throw refused.get();
            }
        }
        Outcome outcome = code == 0 ? Outcome.CLEAN : (code & ~3) == 0 ? Outcome.REPAIRED : Outcome.ERRORS;
        return new FilesystemCheck(outcome, CommandLine.render(argv), report(problems, argv, r));
    }

    private FilesystemCheck xfs(Path device, boolean always) {
        Optional<List<String>> problems = Superblocks.xfs(device);
        if (problems.isEmpty() && !always) {
            return new FilesystemCheck(Outcome.UNKNOWN, null, "no xfs superblock on " + device);
        }
        if (problems.isPresent() && problems.get().isEmpty() && !always) {
            return new FilesystemCheck(Outcome.CLEAN, null, "");
        }
        List<String> argv = List.of("xfs_repair", "-n", device.toString());
        ProcessRunner.Result r = runner.runAllowingExit(argv, TIMEOUT, ANY_EXIT);
        // A dirty log: xfsprogs 6 says "ALERT: … valuable metadata changes in a log which is being
        // ignored because the -n option was used. Expect spurious inconsistencies" and exits 1;
        // older ones exit 2. Either way what it reports then may be no error at all.
        boolean dirtyLog = (r.stdout() + r.stderr()).contains("valuable metadata changes in a log");
        Outcome outcome = dirtyLog || r.exitCode() == 2 ? Outcome.UNKNOWN
                : r.exitCode() == 0 ? Outcome.CLEAN : Outcome.ERRORS;
        String report = report(problems, argv, r);
        if (outcome == Outcome.UNKNOWN) {
            report = "its log has changes to replay, which the kernel does at mount; xfs_repair -n cannot check the"
                    + " rest until then. " + report;
        }
        return new FilesystemCheck(outcome, CommandLine.render(argv), report);
    }

    /**
     * The tool's lines on one line (" / " between them), without xfs_repair's progress lines
     * ("Phase 3 - …", "        - agno = 0"), which would push what it found out of the message.
     */
    static String progressLess(String output) {
        return output.lines().map(String::strip).filter(l -> !l.isEmpty())
                .filter(l -> !l.startsWith("Phase ") && !l.startsWith("- "))
                .collect(Collectors.joining(" / "));
    }

    /** "the superblock says: …; e2fsck -p /dev/loop3 (exit 4): <the tool's last words>". */
    private static String report(Optional<List<String>> problems, List<String> argv, ProcessRunner.Result r) {
        StringBuilder b = new StringBuilder();
        if (problems.isEmpty()) {
            b.append("no superblock found; ");
        } else if (!problems.get().isEmpty()) {
            b.append("the superblock says: ").append(String.join("; ", problems.get())).append("; ");
        }
        String said = Stream.of(progressLess(r.stdout()), progressLess(r.stderr())).filter(t -> !t.isEmpty())
                .collect(Collectors.joining(" / "));
        b.append(CommandLine.render(argv)).append(" (exit ").append(r.exitCode()).append("): ")
                .append(said.isEmpty() ? "(no output)" : CommandLine.tail(said, MESSAGE_CHARS));
        return b.toString();
    }
}
