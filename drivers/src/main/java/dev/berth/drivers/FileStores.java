package dev.berth.drivers;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Capacity;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** Space on the filesystem that holds (or will hold) a folder. */
public final class FileStores {
    private FileStores() {
    }

    /** Total and usable bytes there; asks the nearest existing parent if the folder is not made yet. */
    public static Capacity capacity(Path folder) {
        FileStore store = of(folder);
        try {
            return new Capacity(store.getTotalSpace(), store.getUsableSpace());
        } catch (IOException e) {
            throw new BackendFailure("cannot read the free space at " + folder + ": " + e.getMessage(), "", e);
        }
    }

    private static FileStore of(Path folder) {
        Path p = folder;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            return Files.getFileStore(p == null ? folder.getRoot() : p);
        } catch (IOException e) {
            throw new BackendFailure("cannot read the filesystem of " + folder + ": " + e.getMessage(), "", e);
        }
    }

}
