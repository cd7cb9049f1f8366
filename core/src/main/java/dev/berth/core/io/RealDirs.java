package dev.berth.core.io;

import dev.berth.core.error.BackendFailure;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the folders Berth owns — its roots (mount root, loop pool, dir driver root) and
 * everything it makes below them (mount points, data folders, volume folders) — without ever
 * following a symlink: each folder from the root down is made with mkdir(2), which never follows a
 * final symlink, and then looked at with lstat(2). A symlink is refused, naming it and its target,
 * instead of being followed (a volume would otherwise be mounted on, or handed to Docker at, the
 * link's target). Folders that Berth walks through must also belong to root or to the user Berth
 * runs as, so that nobody else could swap one of their entries.
 *
 * <p>The folders above a root are the operator's (the configured path as written, symlinks and
 * all) and are created with {@code createDirectories} when missing.
 *
 * <p>What remains: the check and the use are separate system calls. Between them, whoever can write
 * to a checked folder could swap an entry for a symlink; that is root or Berth's own user (see the
 * owner check), and mount(8) then resolves the path as it is. Closing that gap needs mount(2) on a
 * file descriptor opened with O_PATH|O_NOFOLLOW, which the JDK cannot do (docs/security.md).
 */
public final class RealDirs {
    private static final Set<PosixFilePermission> DIR_0700 = PosixFilePermissions.fromString("rwx------");
    private static volatile Integer ownUid;

    private RealDirs() {
    }

    /**
     * Makes sure {@code root} and every folder from it down to {@code dir} exist as real folders;
     * missing ones are created (with {@code rootMode} for the root, else default permissions).
     * {@code dir} must be {@code root} or inside it. A last folder below the root may belong to
     * anyone (a container may chown the data folder it is given); the root and the folders between
     * must not.
     *
     * @throws BackendFailure naming the symlink and its target, or what else is in the way
     */
    public static Path ensure(Path root, Path dir, Set<PosixFilePermission> rootMode) {
        Path base = root.toAbsolutePath().normalize();
        Path target = dir.toAbsolutePath().normalize();
        if (!target.startsWith(base)) {
            throw new IllegalArgumentException(target + " is not inside " + base);
        }
        try {
            if (base.getParent() != null) {
                Files.createDirectories(base.getParent());
            }
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + base.getParent() + ": " + e.getMessage(),
                    "check that Berth may write there", e);
        }
        Path current = base;
        one(current, rootMode, true);
        for (Path part : base.relativize(target)) {
            if (part.toString().isEmpty()) {
                continue; // target == base
            }
            current = current.resolve(part);
            one(current, null, !current.equals(target));
        }
        return target;
    }

    /** {@link #ensure(Path, Path, Set)} with 0700 for a missing root (it holds volumes' data). */
    public static Path ensure(Path root, Path dir) {
        return ensure(root, dir, DIR_0700);
    }

    /**
     * True when {@code dir} is a real folder (not a symlink, lstat); false when it is missing. A
     * symlink or another kind of file is a BackendFailure naming it.
     */
    public static boolean isRealDir(Path dir) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new BackendFailure("cannot look at " + dir + ": " + e.getMessage(), "check its permissions", e);
        }
        requireRealDir(dir, a);
        return true;
    }

    private static void one(Path dir, Set<PosixFilePermission> mode, boolean walkedThrough) {
        try {
            if (mode != null) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
            } else {
                Files.createDirectory(dir, new FileAttribute<?>[0]);
            }
        } catch (FileAlreadyExistsException exists) {
            // checked below, whatever it is
        } catch (IOException e) {
            throw new BackendFailure("cannot create " + dir + ": " + e.getMessage(),
                    "check that " + dir.getParent() + " is writable by Berth", e);
        }
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new BackendFailure("cannot look at " + dir + ": " + e.getMessage(), "check its permissions", e);
        }
        requireRealDir(dir, a);
        if (walkedThrough) {
            requireTrustedOwner(dir);
        }
    }

    private static void requireRealDir(Path dir, PosixFileAttributes a) {
        if (a.isSymbolicLink()) {
            String to;
            try {
                to = Files.readSymbolicLink(dir).toString();
            } catch (IOException | UnsupportedOperationException e) {
                to = "?";
            }
            throw new BackendFailure(dir + " is a symlink (to " + to + "); Berth never follows a symlink in a folder it owns",
                    "remove the symlink (rm " + dir + "); if the data should live elsewhere, configure that path itself");
        }
        if (!a.isDirectory()) {
            throw new BackendFailure(dir + " exists but is not a folder", "move it away; Berth needs a folder there");
        }
    }

    private static void requireTrustedOwner(Path dir) {
        int uid;
        try {
            uid = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (IOException | RuntimeException e) {
            return; // not a POSIX file system: nothing to compare
        }
        Integer own = ownUid();
        if (uid != 0 && own != null && uid != own) {
            throw new BackendFailure(dir + " belongs to user " + uid + ", not to root or to the user Berth runs as (" + own
                    + "): that user could replace what is inside it", "chown it to root, or use another folder");
        }
    }

    /** The effective uid of this process: /proc/self belongs to it (null when it cannot be read). */
    private static Integer ownUid() {
        Integer u = ownUid;
        if (u == null) {
            try {
                u = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
                ownUid = u;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return u;
    }
}
