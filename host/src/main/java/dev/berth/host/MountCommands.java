package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** mount and umount, with every argument checked before it reaches the command line. */
final class MountCommands {
    /** Mounting may replay a journal and unmounting flushes dirty data: both can take a while. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern FS_TYPE = Pattern.compile("[a-z0-9][a-z0-9._+-]{0,63}");

    private final ProcessRunner runner;

    MountCommands(ProcessRunner runner) {
        this.runner = runner;
    }

    void mount(Path source, Path target, String fsType, List<String> options) {
        HostPaths.check("mount source", source);
        HostPaths.check("mount point", target);
        runner.run(command(source, target, fsType, options), TIMEOUT);
    }

    static List<String> command(Path source, Path target, String fsType, List<String> options) {
        if (fsType == null || !FS_TYPE.matcher(fsType).matches()) {
            throw new InvalidArgument("filesystem type '" + fsType + "' is not valid",
                    "use a type like ext4 or xfs");
        }
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fsType));
        if (options != null && !options.isEmpty()) {
            options.forEach(MountCommands::checkOption);
            argv.add("-o");
            argv.add(String.join(",", options));
        }
        argv.add(source.toString());
        argv.add(target.toString());
        return argv;
    }

    /** Unmounts the top mount at {@code target}; nothing mounted there is not an error. */
    void unmount(Path target) {
        HostPaths.check("mount point", target);
        if (MountInfo.at(MountInfo.read(), target).isEmpty()) {
            return;
        }
        try {
            runner.run(List.of("umount", target.toString()), TIMEOUT);
        } catch (BackendFailure e) {
            if (MountInfo.at(MountInfo.read(), target).isEmpty()) {
                return; // unmounted by someone else meanwhile: the goal is met
            }
            throw new BackendFailure(e.getMessage(),
                    "if it is busy, find the processes using it with: fuser -vm " + target, e);
        }
    }

    /**
     * One option per element: a comma would smuggle in further options, and a leading '-' could
     * be read as a flag.
     */
    private static void checkOption(String option) {
        if (option == null || option.isEmpty() || option.startsWith("-") || option.contains(",")
                || option.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new InvalidArgument("mount option '" + option + "' is not valid",
                    "give one option per item, without commas, blanks or a leading '-'");
        }
    }
}
