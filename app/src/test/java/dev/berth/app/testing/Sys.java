package dev.berth.app.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Looks at the real host from tests: loop devices and the mount table. */
public final class Sys {
    private Sys() {
    }

    public record Out(int code, String stdout, String stderr) {
    }

    public static Out run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).start();
            p.getOutputStream().close();
            var out = p.getInputStream().readAllBytes();
            var err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timeout: " + argv);
            }
            return new Out(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** After a test, even a failed one: lazily unmount and detach whatever it left under {@code dir}. */
    public static void cleanUp(Path dir) {
        for (String mp : mountsUnder(dir)) {
            run(List.of("/usr/bin/umount", "-l", mp));
        }
        for (String line : loopsUnder(dir)) {
            run(List.of("/usr/sbin/losetup", "-d", line.split(" ")[0]));
        }
    }

    /** Loop devices backed by files under {@code dir} ("losetup --list" as the tool itself says). */
    public static List<String> loopsUnder(Path dir) {
        Out o = run(List.of("/usr/sbin/losetup", "--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE"));
        return o.stdout().lines().filter(l -> l.contains(dir.toString())).toList();
    }

    /** Mount points under {@code dir} in this process's mount table. */
    public static List<String> mountsUnder(Path dir) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4]).filter(mp -> mp.startsWith(dir.toString())).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
