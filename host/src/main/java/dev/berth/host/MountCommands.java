package dev.berth.host;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.spi.HostOps.MountEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Mount and unmount with every argument checked before it reaches the kernel or a command line;
 * the calls themselves are {@link MountCalls}: mount(2)/umount2(2) or mount(8)/umount(8).
 */
final class MountCommands {
    private static final Pattern FS_TYPE = Pattern.compile("[a-z0-9][a-z0-9._+-]{0,63}");

    private final MountCalls calls;

    MountCommands(MountCalls calls) {
        this.calls = calls;
    }

    void mount(Path source, Path target, String fsType, List<String> options) {
        HostPaths.check("mount source", source);
        HostPaths.check("mount point", target);
        checkType(fsType);
        List<String> checked = options == null ? List.of() : List.copyOf(options);
        MountOptions.parse(checked); // the same refusals for both paths
        long start = System.nanoTime();
        try {
            calls.mount(source, target, fsType, checked);
        } catch (BackendFailure e) {
            if (fsType.equals("ext4")) {
                // ext4 multi-mount protection refuses with a plain EBUSY: say what it really is.
                MultiMountProtection.refusal(source, java.time.Duration.ofNanos(System.nanoTime() - start), e.getMessage(), e)
                        .ifPresent(refused -> {
                            throw refused;
                        });
            }
            throw e;
        }
    }

    /** The per-mount flags a bind may get (those a caller's Access may ask for). */
    static final java.util.Set<String> BIND_FLAGS = dev.berth.core.service.Access.FLAGS;

    void bind(Path source, Path target, List<String> flags) {
        HostPaths.check("bind source", source);
        HostPaths.check("mount point", target);
        List<String> checked = flags == null ? List.of() : List.copyOf(flags);
        for (String f : checked) {
            if (!BIND_FLAGS.contains(f)) {
                throw new InvalidArgument("mount flag '" + f + "' cannot be applied to a bind mount",
                        "use only " + new java.util.TreeSet<>(BIND_FLAGS) + "; filesystem options are Berth's to set");
            }
        }
        calls.mount(source, target, "none", List.of("bind"));
        if (checked.isEmpty()) {
            return;
        }
        try {
            calls.remountBind(target, checked);
        } catch (BackendFailure e) {
            // A bind without the asked-for flags (a writable one where ro was asked) must not stay.
            try {
                calls.unmount(target);
            } catch (BackendFailure again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /** mount(8)'s command line for a request (the tools path). */
    static List<String> command(Path source, Path target, String fsType, List<String> options) {
        checkType(fsType);
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fsType));
        if (options != null && !options.isEmpty()) {
            MountOptions.parse(options);
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
        Optional<MountEntry> mounted = MountInfo.at(MountInfo.read(), target);
        if (mounted.isEmpty()) {
            return;
        }
        try {
            // The mount table's path: what umount(8) canonicalizes the target to, as well.
            calls.unmount(mounted.get().target());
        } catch (BackendFailure e) {
            if (MountInfo.at(MountInfo.read(), target).isEmpty()) {
                return; // unmounted by someone else meanwhile: the goal is met
            }
            throw e;
        }
    }

    /** Detaches the top mount at {@code target} lazily; nothing mounted there is not an error. */
    void unmountLazy(Path target) {
        HostPaths.check("mount point", target);
        Optional<MountEntry> mounted = MountInfo.at(MountInfo.read(), target);
        if (mounted.isEmpty()) {
            return;
        }
        try {
            calls.unmountLazy(mounted.get().target());
        } catch (BackendFailure e) {
            if (MountInfo.at(MountInfo.read(), target).isEmpty()) {
                return;
            }
            throw e;
        }
    }

    private static void checkType(String fsType) {
        if (fsType == null || !FS_TYPE.matcher(fsType).matches()) {
            throw new InvalidArgument("filesystem type '" + fsType + "' is not valid",
                    "use a type like ext4 or xfs");
        }
    }
}
