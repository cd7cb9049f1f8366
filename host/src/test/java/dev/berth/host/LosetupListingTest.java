package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LosetupListingTest {
    @Test
    void parsesRawOutputWithEscapes() {
        // As printed by util-linux 2.38 under LC_ALL=C (BACK-MAJ:MIN is padded with blanks).
        String out = """
                /dev/loop10 2146528 \\x20\\x20254:0\\x20\\x20 /tmp/lt/b\\x5cs.img
                /dev/loop2 2146595 \\x20\\x20\\x20\\x20\\x208:17\\x20\\x20 /tmp/lt/\\xc3\\xbc\\x20x.img
                /dev/loop1 2146529 \\x20\\x20254:0\\x20\\x20 /tmp/lt/c.img\\x20(deleted)
                /dev/loop0 2146527 259:300 /tmp/lt/a\\x20b.img
                """;
        assertEquals(List.of(
                new LosetupListing.Entry(Path.of("/dev/loop0"), 2146527, (259L << 8) | 44 | (256L << 12), "/tmp/lt/a b.img"),
                new LosetupListing.Entry(Path.of("/dev/loop1"), 2146529, 65024, "/tmp/lt/c.img (deleted)"),
                new LosetupListing.Entry(Path.of("/dev/loop2"), 2146595, 2065, "/tmp/lt/ü x.img"),
                new LosetupListing.Entry(Path.of("/dev/loop10"), 2146528, 65024, "/tmp/lt/b\\s.img")),
                LosetupListing.parse(out));
    }

    @Test
    void toleratesMissingInodesAndSkipsJunk() {
        String out = "/dev/loop3   /x.img\n\nnot a line\n/dev/loop4 12 7:1 \n/dev/loop5 13 junk /y.img\n";
        assertEquals(List.of(new LosetupListing.Entry(Path.of("/dev/loop3"), "/x.img"),
                        new LosetupListing.Entry(Path.of("/dev/loop5"), 13, -1, "/y.img")),
                LosetupListing.parse(out));
    }
}
