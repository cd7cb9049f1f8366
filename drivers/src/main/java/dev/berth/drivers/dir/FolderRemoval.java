package dev.berth.drivers.dir;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Busy;
import dev.berth.core.spi.HostOps.MountEntry;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Deletes a volume folder and everything in it, without following symlinks (a link to /etc is
 * removed, not what it points to) and refusing outright when anything is mounted inside, where a
 * recursive delete would reach into another filesystem's data.
 */
final class FolderRemoval {
    private FolderRemoval() {
    }

    static void delete(Path folder, List<MountEntry> mounts) {
        Path real = realPath(folder);
        for (MountEntry m : mounts) {
            if (m.target().startsWith(folder) || m.target().startsWith(real)) {
                throw new Busy(m.source() + " is mounted at " + m.target() + ", inside the volume folder " + folder,
                        "unmount it first (umount " + m.target() + ")");
            }
        }
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                    if (failed != null) {
                        throw failed;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new BackendFailure("cannot delete " + folder + ": " + e, "check its permissions", e);
        }
    }

    private static Path realPath(Path folder) {
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            return folder;
        }
    }
}
