package dev.berth.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Parses {@code losetup --list --raw --noheadings --output NAME,BACK-INO,BACK-MAJ:MIN,BACK-FILE}. In raw
 * output every blank (and backslash, and non-ASCII byte under LC_ALL=C) is escaped as \xHH, so
 * fields split cleanly on single spaces even for paths with spaces.
 */
final class LosetupListing {
    static final List<String> ARGS =
            List.of("losetup", "--list", "--raw", "--noheadings", "--output", "NAME,BACK-INO,BACK-MAJ:MIN,BACK-FILE");

    /** The suffix the kernel appends to a backing file that was deleted while attached. */
    static final String DELETED = " (deleted)";

    /**
     * One attached loop device. {@code backingFile} is the kernel's text, which ends in
     * " (deleted)" when the file is gone; {@code inode} and {@code fileSystem} (the backing file's
     * st_ino and st_dev, as stat(2) encodes it) are -1 when unknown (sysfs does not tell them).
     */
    record Entry(Path device, long inode, long fileSystem, String backingFile) {
        Entry(Path device, String backingFile) {
            this(device, -1, -1, backingFile);
        }
    }

    private LosetupListing() {
    }

    /** Entries in device order (loop0, loop1, ... loop10), lines that do not parse are skipped. */
    static List<Entry> parse(String output) {
        List<Entry> entries = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] fields = line.split(" ", -1);
            if (fields.length != 4 || !fields[0].startsWith("/dev/")) {
                continue;
            }
            String backing = EscapedText.hex(fields[3]);
            if (backing.isEmpty()) {
                continue;
            }
            entries.add(new Entry(Path.of(EscapedText.hex(fields[0])), inode(fields[1]), fileSystem(fields[2]), backing));
        }
        entries.sort(Comparator.comparingLong(e -> number(e.device())));
        return entries;
    }

    private static long inode(String field) {
        String text = EscapedText.hex(field).strip();
        try {
            return text.isEmpty() ? -1 : Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** "254:0" (padded with blanks by losetup) as stat(2)'s st_dev: glibc's makedev(major, minor). */
    private static long fileSystem(String field) {
        String text = EscapedText.hex(field).strip();
        int colon = text.indexOf(':');
        try {
            if (colon <= 0) {
                return -1;
            }
            return makedev(Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static long makedev(long major, long minor) {
        return (minor & 0xffL) | ((major & 0xfffL) << 8) | ((minor & ~0xffL) << 12) | ((major & ~0xfffL) << 32);
    }

    private static long number(Path device) {
        String name = device.getFileName().toString().replaceAll("\\D", "");
        return name.isEmpty() || name.length() > 9 ? Long.MAX_VALUE : Long.parseLong(name);
    }
}
