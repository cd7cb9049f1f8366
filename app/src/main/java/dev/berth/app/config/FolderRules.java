package dev.berth.app.config;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.io.SystemFolders;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The folders Berth takes over — stateDir, mountRoot and every service's folder (loop pool, dir
 * root) — must be folders of its own: never a system folder, never one inside another (a volume
 * named like the folder would be mounted over it), and a state directory that already holds
 * files must hold only what Berth keeps there.
 */
public final class FolderRules {
    /**
     * What Berth keeps in the state directory: the embedded store's database and lock
     * (store/.../embedded/StateDirectory; SQLite adds -wal, -shm, -journal), the generated TLS pair
     * (tls/) and HS256 key (auth/), and lost+found when the state directory is a file system of its
     * own. Add any new file the store writes here.
     */
    /** Besides state.db*: the node's grants and its loop devices (core io.AtomicFiles writes both). */
    static final List<String> STATE_NAMES = List.of("lock", "tls", "auth", "lost+found", "grants.json", "loop-devices.json");
    /** A write of grants.json or loop-devices.json cut short leaves its temporary file (.NAME.*tmp). */
    static final List<String> TMP_PREFIXES = List.of(".grants.json.", ".loop-devices.json.");
    static final String STATE_PREFIX = "state.db";

    private FolderRules() {
    }

    /** Checks on the configured paths alone (no disk access): run at every config load. */
    static void check(Config c) {
        Path state = c.path(Keys.STATE_DIR);
        Path mounts = c.path(Keys.MOUNT_ROOT);
        SystemFolders.check(described(c, Keys.STATE_DIR), state, Keys.STATE_DIR.defaultValue());
        SystemFolders.check(described(c, Keys.MOUNT_ROOT), mounts, Keys.MOUNT_ROOT.defaultValue());
        if (nested(state, mounts)) {
            throw new InvalidArgument(described(c, Keys.STATE_DIR) + " and " + described(c, Keys.MOUNT_ROOT)
                    + " overlap: a volume would be mounted over the state, or the state kept among the volumes",
                    "give them separate folders, e.g. stateDir " + Keys.STATE_DIR.defaultValue() + " and mountRoot "
                            + Keys.MOUNT_ROOT.defaultValue());
        }
        Map<String, Path> folders = new java.util.LinkedHashMap<>();
        for (ServiceConfig s : c.services()) {
            for (var o : new java.util.TreeMap<>(s.options()).entrySet()) {
                if (!o.getValue().startsWith("/")) {
                    continue; // not a path (every folder option is absolute: DriverOptions checks that)
                }
                String key = "services." + s.name() + ".options." + o.getKey() + " = '" + o.getValue() + "' (" + s.source() + ")";
                Path folder;
                try {
                    folder = Path.of(o.getValue()).normalize();
                } catch (java.nio.file.InvalidPathException e) {
                    throw new InvalidArgument(key.replace("\0", "\\0") + " is not a valid path: " + e.getReason(), "fix the path");
                }
                SystemFolders.check(key, folder, "/var/lib/berth/" + s.name());
                if (folder.startsWith(mounts)) {
                    throw new InvalidArgument(key + " is inside " + described(c, Keys.MOUNT_ROOT)
                            + ": a volume named like it would be mounted over it", "keep service folders out of mountRoot");
                }
                if (nested(folder, state)) {
                    throw new InvalidArgument(key + " overlaps " + described(c, Keys.STATE_DIR),
                            "keep service folders and the state directory apart");
                }
                for (var other : folders.entrySet()) {
                    if (nested(folder, other.getValue())) {
                        throw new InvalidArgument(key + " overlaps the folder of " + other.getKey()
                                + ": each service needs a folder of its own (each counts what it finds there as its own)",
                                "give each service its own folder");
                    }
                }
                folders.put("service " + s.name() + " (" + o.getValue() + ")", folder);
            }
        }
    }

    /**
     * Before {@code berth serve} opens the store: an existing state directory may hold only what
     * Berth keeps there ({@link #STATE_NAMES}, {@code state.db*}). A folder Berth cannot list is
     * left to the store, which says so itself.
     */
    public static void checkStateDirOnDisk(Config c) {
        Path state = c.path(Keys.STATE_DIR);
        List<String> foreign = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(state)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!STATE_NAMES.contains(name) && !name.startsWith(STATE_PREFIX) && !TMP_PREFIXES.stream().anyMatch(name::startsWith)) {
                    foreign.add(name);
                }
            }
        } catch (NoSuchFileException | AccessDeniedException | NotDirectoryException e) {
            return;
        } catch (IOException e) {
            return; // the store reports an unusable state directory with its own words
        }
        if (!foreign.isEmpty()) {
            TreeSet<String> sorted = new TreeSet<>(foreign);
            List<String> shown = sorted.stream().limit(5).map(n -> "'" + n + "'").toList();
            throw new InvalidArgument(described(c, Keys.STATE_DIR) + " already holds " + String.join(", ", shown)
                    + (sorted.size() > shown.size() ? " and " + (sorted.size() - shown.size()) + " more" : "")
                    + ", which Berth did not put there (it keeps only state.db*, lock, grants.json, loop-devices.json, tls/ and auth/ in it)",
                    "set stateDir to an empty or new folder used only by Berth, e.g. " + Keys.STATE_DIR.defaultValue());
        }
    }

    /** True when one path is the other or inside it. */
    private static boolean nested(Path a, Path b) {
        return a.startsWith(b) || b.startsWith(a);
    }

    private static String described(Config c, Key k) {
        return k.name() + " = '" + c.get(k) + "' (" + c.settings().get(k.name()).source() + ")";
    }
}
