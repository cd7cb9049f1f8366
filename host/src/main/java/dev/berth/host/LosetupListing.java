package dev.berth.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Parses {@code losetup --list --raw --noheadings --output NAME,BACK-INO,BACK-FILE}. In raw
 * output every blank (and backslash, and non-ASCII byte under LC_ALL=C) is escaped as \xHH, so
 * fields split cleanly on single spaces even for paths with spaces.
 */
final class LosetupListing {
    static final List<String> ARGS =
            List.of("losetup", "--list", "--raw", "--noheadings", "--output", "NAME,BACK-INO,BACK-FILE");

    /** The suffix the kernel appends to a backing file that was deleted while attached. */
    static final String DELETED = " (deleted)";

    /**
     * One attached loop device. {@code backingFile} is the kernel's text, which ends in
     * " (deleted)" when the file is gone; {@code inode} is -1 when losetup could not tell.
     */
    record Entry(Path device, long inode, String backingFile) {
    }

    private LosetupListing() {
    }

    /** Entries in device order (loop0, loop1, ... loop10), lines that do not parse are skipped. */
    static List<Entry> parse(String output) {
        List<Entry> entries = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] fields = line.split(" ", -1);
            if (fields.length != 3 || !fields[0].startsWith("/dev/")) {
                continue;
            }
            String backing = EscapedText.hex(fields[2]);
            if (backing.isEmpty()) {
                continue;
            }
            entries.add(new Entry(Path.of(EscapedText.hex(fields[0])), inode(fields[1]), backing));
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

    private static long number(Path device) {
        String name = device.getFileName().toString().replaceAll("\\D", "");
        return name.isEmpty() || name.length() > 9 ? Long.MAX_VALUE : Long.parseLong(name);
    }
}
