package dev.berth.drivers.loop;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.Unavailable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The loop devices this node attached, kept in {@code <stateDir>/loop-devices.json} as
 * {@code {"devices":[{"device":"/dev/loopN","file":"/abs/image.img"}]}}. On one kernel shared by
 * several (simulated) hosts every host sees every loop device, and a device bound to a volume's
 * image may be another host's, mounted in that host's mount namespace: only a recorded device is
 * this node's. Written atomically (temporary file, fsync, rename, fsync of the folder), so a
 * reader (this node after a crash, the test harness) sees a whole record or the previous one.
 * Without a state folder the record lives in memory only. Every loop service of the node shares
 * the file: changes are read-modify-write under one lock per file.
 */
final class OwnLoopDevices {
    static final String FILE = "loop-devices.json";
    private static final int MAX_BYTES = 1 << 20;
    private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** One device and the image it was attached to (the real path, as the kernel names it). */
    record Entry(String device, String file) {
        Entry {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(file, "file");
        }
    }

    record Record(List<Entry> devices) {
        Record {
            devices = devices == null ? List.of() : List.copyOf(devices);
        }
    }

    private final Path file;
    private final Object lock;
    private volatile List<Entry> memory = List.of();
    /** The state folder existed while this process ran: if it goes, it was removed, and is not made again. */
    private volatile boolean folderSeen;

    /** @param stateDir the node's state folder, or null to keep the record in memory */
    OwnLoopDevices(Path stateDir) {
        this.file = stateDir == null ? null : stateDir.resolve(FILE);
        this.lock = file == null ? new Object() : LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), _ -> new Object());
    }

    List<Entry> list() {
        synchronized (lock) {
            return file == null ? memory : read();
        }
    }

    void add(Path device, Path image) {
        Entry e = new Entry(device.toString(), image.toString());
        change(all -> {
            List<Entry> out = new ArrayList<>(all.stream().filter(x -> !x.device().equals(e.device())).toList());
            out.add(e);
            return out;
        });
    }

    void remove(Path device) {
        change(all -> all.stream().filter(x -> !x.device().equals(device.toString())).toList());
    }

    private void change(UnaryOperator<List<Entry>> edit) {
        synchronized (lock) {
            List<Entry> before = file == null ? memory : read();
            List<Entry> after = List.copyOf(edit.apply(before));
            if (after.equals(before)) {
                return;
            }
            if (file == null) {
                memory = after;
            } else {
                write(new Record(after));
            }
        }
    }

    private List<Entry> read() {
        if (Files.isDirectory(file.getParent())) {
            folderSeen = true;
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IOException("it is larger than " + MAX_BYTES + " bytes");
            }
            Record r = JSON.readValue(bytes, Record.class);
            return r == null ? List.of() : r.devices();
        } catch (NoSuchFileException gone) {
            return List.of();
        } catch (IOException | RuntimeException e) {
            // Never guess: without the record this node cannot tell its devices from another host's.
            throw new BackendFailure("cannot read " + file + ", this node's record of its loop devices: "
                    + e.getMessage().lines().findFirst().orElse(""),
                    "fix or move the file away; without it the node attaches new devices (losetup -a shows the old ones)", e);
        }
    }

    private void write(Record r) {
        Path dir = file.getParent();
        try {
            if (!Files.isDirectory(dir)) {
                if (folderSeen) {
                    // Removed while Berth used it (as the state store refuses to, nothing makes it again).
                    throw new Unavailable("the state folder " + dir + " was removed while Berth was using it, so this"
                            + " node cannot record its loop devices in " + file.getFileName(),
                            "restore it or restart Berth (see State loss in the README)");
                }
                // An agent keeps nothing else there: its first attach makes the folder (0700).
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            folderSeen = true;
            dev.berth.core.io.AtomicFiles.write(file, JSON.writeValueAsBytes(r));
        } catch (IOException e) {
            throw new BackendFailure("cannot write " + file + ": " + e, "check the state folder " + dir, e);
        }
    }
}
