package dev.berth.host;

import dev.berth.core.spi.HostOps.FileId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** stat(2)'s device and inode of a file, as losetup's BACK-MAJ:MIN and BACK-INO name a backing file. */
public final class FileIds {
    private FileIds() {
    }

    /** The id of {@code file} itself (a symlink is not followed); empty if it is not there or unreadable. */
    public static Optional<FileId> of(Path file) {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            return Optional.of(new FileId(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue()));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
