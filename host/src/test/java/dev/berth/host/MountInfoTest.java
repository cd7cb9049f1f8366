package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.spi.HostOps.MountEntry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    @Test
    void parsesALineWithOptionalFields() {
        String line = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue";
        assertEquals(List.of(new MountEntry("/dev/root", Path.of("/mnt/parent"), "ext3", "/mnt1", List.of("rw", "noatime"))),
                MountInfo.parse(line));
        assertTrue(!MountInfo.parse(line).getFirst().readOnly());
    }

    @Test
    void aReadOnlyBindOfASubfolderShowsItsRootAndRo() {
        String line = "41 22 7:3 /data /var/lib/kubelet/pods/p/volumes/t ro,nosuid,relatime shared:9 - ext4 /dev/loop3 rw";
        MountEntry e = MountInfo.parse(line).getFirst();
        assertEquals("/data", e.root());
        assertTrue(e.readOnly());
        assertEquals(List.of("ro", "nosuid", "relatime"), e.options());
    }

    @Test
    void parsesLinesWithNoneOrSeveralOptionalFields() {
        String text = """
                22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
                23 22 0:5 / /dev rw shared:2 master:7 propagate_from:3 unbindable - devtmpfs udev rw,size=10k
                """;
        assertEquals(List.of(new MountEntry("/dev/sda1", Path.of("/"), "ext4", "/", List.of("rw", "relatime")),
                new MountEntry("udev", Path.of("/dev"), "devtmpfs", "/", List.of("rw"))), MountInfo.parse(text));
    }

    @Test
    void decodesOctalEscapes() {
        String line = "40 22 7:0 / /var/lib/berth/volumes/my\\040vol\\011tab\\134back rw,relatime shared:9 - xfs"
                + " /dev/loop\\0400 rw";
        MountEntry e = MountInfo.parse(line).get(0);
        assertEquals(Path.of("/var/lib/berth/volumes/my vol\ttab\\back"), e.target());
        assertEquals("/dev/loop 0", e.source());
        assertEquals("xfs", e.fsType());
    }

    @Test
    void keepsUtf8AndDecodesEscapedBytes() {
        assertEquals("/mnt/ü x", EscapedText.octal("/mnt/ü\\040x"));
        assertEquals("/mnt/ü x", EscapedText.octal("/mnt/\\303\\274\\040x"));
        assertEquals("a\\04", EscapedText.octal("a\\04"));
    }

    @Test
    void skipsLinesThatDoNotParse() {
        String text = "garbage\n\n1 2 3 4 5 6 7 8\n22 1 8:1 / / rw - ext4 /dev/sda1 rw\n";
        assertEquals(1, MountInfo.parse(text).size());
    }

    @Test
    void mountAtPicksTheTopOfStackedMounts() {
        List<MountEntry> entries = MountInfo.parse("""
                22 1 8:1 / / rw - ext4 /dev/sda1 rw
                50 22 7:0 / /srv/x rw - ext4 /dev/loop0 rw
                51 50 7:1 / /srv/x rw - xfs /dev/loop1 rw
                """);
        assertEquals("/dev/loop1", MountInfo.at(entries, Path.of("/srv/x")).orElseThrow().source());
        assertTrue(MountInfo.at(entries, Path.of("/srv")).isEmpty());
    }

    @Test
    void readsThisProcessesTable() {
        assertTrue(MountInfo.read().stream().anyMatch(e -> e.target().equals(Path.of("/"))));
        assertTrue(new LinuxHostOps().mountAt(Path.of("/")).isPresent());
    }
}
