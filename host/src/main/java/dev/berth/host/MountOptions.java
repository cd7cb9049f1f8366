package dev.berth.host;

import dev.berth.core.error.InvalidArgument;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mount options as mount(2) takes them: the generic ones as MS_* flags, the rest (ext4's
 * {@code discard}, xfs's {@code nouuid}, …) as the filesystem's data string, in order — what
 * mount(8) passes for the same {@code -o} list. {@code bind} and {@code rbind} are MS_BIND (|MS_REC),
 * alone: with further options mount(8) would make a second, remounting call. Options mount(8)
 * handles itself rather than the kernel (remount, move, loop, user, nofail, x-…) are refused for
 * both paths, so the native and the tools path can never mean different things for one list.
 */
record MountOptions(long flags, String data) {
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_SYNCHRONOUS = 16;
    static final long MS_REMOUNT = 32;
    static final long MS_MANDLOCK = 64;
    static final long MS_DIRSYNC = 128;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MS_SILENT = 1 << 15;
    static final long MS_RELATIME = 1 << 21;
    static final long MS_I_VERSION = 1 << 23;
    static final long MS_STRICTATIME = 1 << 24;
    static final long MS_LAZYTIME = 1 << 25;

    /** Option → flag it sets; "no"-less twins clear it (rw clears ro, suid clears nosuid, …). */
    private static final Map<String, Long> SETS = Map.ofEntries(
            Map.entry("ro", MS_RDONLY), Map.entry("nosuid", MS_NOSUID), Map.entry("nodev", MS_NODEV),
            Map.entry("noexec", MS_NOEXEC), Map.entry("sync", MS_SYNCHRONOUS), Map.entry("mand", MS_MANDLOCK),
            Map.entry("dirsync", MS_DIRSYNC), Map.entry("noatime", MS_NOATIME), Map.entry("nodiratime", MS_NODIRATIME),
            Map.entry("silent", MS_SILENT), Map.entry("relatime", MS_RELATIME), Map.entry("iversion", MS_I_VERSION),
            Map.entry("strictatime", MS_STRICTATIME), Map.entry("lazytime", MS_LAZYTIME));
    private static final Map<String, Long> CLEARS = Map.ofEntries(
            Map.entry("rw", MS_RDONLY), Map.entry("suid", MS_NOSUID), Map.entry("dev", MS_NODEV),
            Map.entry("exec", MS_NOEXEC), Map.entry("async", MS_SYNCHRONOUS), Map.entry("nomand", MS_MANDLOCK),
            Map.entry("atime", MS_NOATIME), Map.entry("diratime", MS_NODIRATIME), Map.entry("loud", MS_SILENT),
            Map.entry("norelatime", MS_RELATIME), Map.entry("noiversion", MS_I_VERSION),
            Map.entry("nostrictatime", MS_STRICTATIME), Map.entry("nolazytime", MS_LAZYTIME));
    private static final Set<String> MOUNT8_ONLY = Set.of("move", "remount", "loop", "offset",
            "sizelimit", "encryption", "user", "users", "nouser", "owner", "group", "auto", "noauto", "_netdev", "nofail",
            "shared", "rshared", "private", "rprivate", "slave", "rslave", "unbindable", "runbindable", "helper");

    /** Checks every option and splits the list; an empty or null list is no flags and no data. */
    static MountOptions parse(List<String> options) {
        List<String> all = options == null ? List.of() : options;
        all.forEach(MountOptions::check);
        if (all.size() == 1 && (all.get(0).equals("bind") || all.get(0).equals("rbind"))) {
            return new MountOptions(all.get(0).equals("bind") ? MS_BIND : MS_BIND | MS_REC, null);
        }
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String option : all) {
            if (option.equals("bind") || option.equals("rbind")) {
                throw new InvalidArgument("mount option '" + option + "' goes alone, not with " + all,
                        "bind-mount first, then change the bind mount's flags with a second call");
            } else if (option.equals("defaults")) {
                continue; // rw,suid,dev,exec,async: nothing to set
            } else if (SETS.containsKey(option)) {
                flags |= SETS.get(option);
            } else if (CLEARS.containsKey(option)) {
                flags &= ~CLEARS.get(option);
            } else {
                data.add(option);
            }
        }
        return new MountOptions(flags, data.isEmpty() ? null : String.join(",", data));
    }

    /**
     * One option per element: a comma would smuggle in further options, and a leading '-' could
     * be read as a flag.
     */
    static void check(String option) {
        if (option == null || option.isEmpty() || option.startsWith("-") || option.contains(",")
                || option.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new InvalidArgument("mount option '" + option + "' is not valid",
                    "give one option per item, without commas, blanks or a leading '-'");
        }
        String name = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        if (MOUNT8_ONLY.contains(name) || name.startsWith("x-") || name.startsWith("X-")) {
            throw new InvalidArgument("mount option '" + option + "' is one mount(8) acts on itself, not the kernel",
                    "Berth mounts its own block devices: give only filesystem options (ro, noatime, discard, …)");
        }
    }
}
