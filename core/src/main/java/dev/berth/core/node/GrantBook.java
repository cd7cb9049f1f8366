package dev.berth.core.node;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.io.AtomicFiles;
import dev.berth.core.io.BoundedFiles;
import dev.berth.core.model.Grant;
import dev.berth.core.model.Volume;
import dev.berth.core.spi.Codec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The grants this node holds, kept in a small local file as well as in memory, so that after a
 * crash the agent knows what it held without asking anyone, and checks exactly those first. Every
 * change is written atomically before the call that made it returns. A null file keeps them in
 * memory only (tests).
 */
public final class GrantBook {
    /**
     * One grant with the volume record it is about: enough to find and give up the volume on this
     * host without asking the controller (which may be what cannot be reached).
     */
    public record Entry(Grant grant, Volume volume) {
        public Entry {
            java.util.Objects.requireNonNull(grant, "grant");
            java.util.Objects.requireNonNull(volume, "volume");
        }
    }

    /** What the file holds. */
    public record Saved(List<Entry> grants) {
        public Saved {
            grants = grants == null ? List.of() : List.copyOf(grants);
        }
    }

    private final Path file;
    private final Codec codec;
    private final Map<String, Entry> grants = new TreeMap<>();

    private GrantBook(Path file, Codec codec) {
        this.file = file;
        this.codec = codec;
    }

    /** Reads the file (absent = nothing held). */
    public static GrantBook open(Path file, Codec codec) {
        GrantBook book = new GrantBook(file, codec);
        if (file != null) {
            try {
                java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new BackendFailure("could not make the folder of the grant file " + file + ": " + e.getMessage(),
                        "check stateDir");
            }
            BoundedFiles.readIfExists(file, "grant file", 4 * 1024 * 1024)
                    .ifPresent(bytes -> codec.decode(bytes, Saved.class).grants().forEach(e -> book.grants.put(e.grant().volumeId(), e)));
        }
        return book;
    }

    public static GrantBook inMemory() {
        return new GrantBook(null, null);
    }

    public synchronized Optional<Grant> of(String volumeId) {
        return Optional.ofNullable(grants.get(volumeId)).map(Entry::grant);
    }

    public synchronized List<Grant> all() {
        return grants.values().stream().map(Entry::grant).toList();
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(grants.values());
    }

    public synchronized boolean isEmpty() {
        return grants.isEmpty();
    }

    public synchronized void put(Grant g, Volume v) {
        if (!g.volumeId().equals(v.id())) {
            throw new IllegalArgumentException("grant of " + g.volumeId() + " with the record of " + v.id());
        }
        Entry entry = new Entry(g, v);
        if (entry.equals(grants.get(g.volumeId()))) {
            return;
        }
        Entry before = grants.put(g.volumeId(), entry);
        try {
            save();
        } catch (RuntimeException e) {
            if (before == null) {
                grants.remove(g.volumeId());
            } else {
                grants.put(g.volumeId(), before);
            }
            throw e;
        }
    }

    /** Forgets the grant of a volume. */
    public synchronized void remove(String volumeId) {
        if (grants.remove(volumeId) != null) {
            save();
        }
    }

    public synchronized void removeAll(Collection<String> volumeIds) {
        if (grants.keySet().removeAll(volumeIds)) {
            save();
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            AtomicFiles.write(file, codec.encode(new Saved(new ArrayList<>(grants.values()))));
        } catch (IOException e) {
            // Unavailable, as for a state store that lost its folder: nothing of the call was done.
            throw new dev.berth.core.error.Unavailable("could not write this node's grant file " + file + " ("
                    + e + "): nothing was mounted or attached", "check stateDir (removed? full? read-only?) and retry");
        }
    }
}
