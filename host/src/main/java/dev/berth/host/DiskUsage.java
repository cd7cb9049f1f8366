package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Space files occupy on disk (allocated blocks), through {@code du}: the JDK exposes no st_blocks.
 * The names go to du on its standard input, NUL-separated, so no number of files overflows a
 * command line and no name is read as an option.
 */
final class DiskUsage {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ProcessRunner runner;

    DiskUsage(ProcessRunner runner) {
        this.runner = runner;
    }

    long allocatedBytes(List<Path> files) {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        int count = 0;
        for (Path f : files) {
            HostPaths.check("file", f);
            // A missing file occupies nothing; du would fail on it.
            if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                names.writeBytes(f.toString().getBytes(StandardCharsets.UTF_8));
                names.write(0);
                count++;
            }
        }
        if (count == 0) {
            return 0;
        }
        ProcessRunner.Result r = runner.run(List.of("du", "--block-size=1", "--summarize", "--total",
                "--files0-from=-"), TIMEOUT, names.toByteArray());
        return total(r.stdout());
    }

    /** The last line of du --total is "<bytes>\ttotal". */
    static long total(String stdout) {
        List<String> lines = stdout.strip().lines().toList();
        String last = lines.isEmpty() ? "" : lines.getLast();
        int tab = last.indexOf('\t');
        if (tab > 0 && last.substring(tab + 1).equals("total")) {
            try {
                return Long.parseLong(last.substring(0, tab));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new BackendFailure("du printed no total (last line: '" + last + "')", "check that du is GNU coreutils' du");
    }
}
