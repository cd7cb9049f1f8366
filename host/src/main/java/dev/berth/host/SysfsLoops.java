package dev.berth.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Lists bound loop devices from sysfs ({@code /sys/block/loopN/loop/backing_file}), the same
 * source losetup reads, without starting a process: lookups happen on every attach and detach, so
 * they must cost microseconds, not a fork. Empty when sysfs is not there; callers then ask losetup.
 */
final class SysfsLoops {
    private final Path sysBlock;

    SysfsLoops(Path sysBlock) {
        this.sysBlock = sysBlock;
    }

    boolean available() {
        return Files.isDirectory(sysBlock);
    }

    /** Bound loop devices in device order; inode unknown (-1), "(deleted)" kept as the kernel says. */
    List<LosetupListing.Entry> list() {
        List<LosetupListing.Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(sysBlock, "loop*")) {
            for (Path dir : dirs) {
                backingFile(dir).ifPresent(file ->
                        out.add(new LosetupListing.Entry(Path.of("/dev").resolve(dir.getFileName().toString()), file)));
            }
        } catch (IOException e) {
            return List.of();
        }
        out.sort(Comparator.comparingLong(e -> number(e.device())));
        return out;
    }

    private static Optional<String> backingFile(Path dir) {
        try {
            String text = new String(Files.readAllBytes(dir.resolve("loop/backing_file")), StandardCharsets.UTF_8);
            String file = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            return file.isEmpty() ? Optional.empty() : Optional.of(file);
        } catch (IOException unboundOrGone) {
            // No loop/backing_file: the device exists but is not bound (or went away meanwhile).
            return Optional.empty();
        }
    }

    private static long number(Path device) {
        String digits = device.getFileName().toString().replaceAll("\\D", "");
        return digits.isEmpty() || digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
}
