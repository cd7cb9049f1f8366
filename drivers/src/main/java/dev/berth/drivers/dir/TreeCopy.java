package dev.berth.drivers.dir;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.spi.HostOps.MountEntry;
import dev.berth.core.spi.Progress;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Copies a volume folder into a new folder: files with their modes, owners and times, symlinks as
 * symlinks (never followed: a link to /etc is copied as a link, not /etc), folders with their
 * modes and times set after their content. Refuses a folder with something mounted inside, which
 * a copy would otherwise read as part of the volume.
 */
final class TreeCopy {
    private TreeCopy() {
    }

    static void copy(Path source, Path target, List<MountEntry> mounts, Progress progress) {
        Path real = real(source);
        for (MountEntry m : mounts) {
            if (!m.target().equals(source) && !m.target().equals(real)
                    && (m.target().startsWith(source) || m.target().startsWith(real))) {
                throw new Busy(m.source() + " is mounted at " + m.target() + ", inside the volume folder " + source,
                        "unmount it first (umount " + m.target() + "); a copy would read into that filesystem");
            }
        }
        long[] done = {0};
        try {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.copy(dir, target.resolve(source.relativize(dir)), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    // COPY_ATTRIBUTES with NOFOLLOW_LINKS: mode, owner and times; a symlink is copied as itself.
                    Files.copy(file, target.resolve(source.relativize(file)), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                    done[0] += attrs.isRegularFile() ? attrs.size() : 0;
                    progress.update(done[0], 0);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                    if (failed != null) {
                        throw failed;
                    }
                    // Writing the content changed the copy's times: set them again from the source.
                    Path copy = target.resolve(source.relativize(dir));
                    Files.setLastModifiedTime(copy, Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new BackendFailure("cannot copy " + source + " to " + target + ": " + e,
                    "check the space and permissions of the dir driver's root", e);
        }
        progress.update(done[0], done[0]);
    }

    private static Path real(Path folder) {
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            return folder;
        }
    }
}
