package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LosetupListingTest {
    @Test
    void parsesRawOutputWithEscapes() {
        // As printed by util-linux 2.38 under LC_ALL=C.
        String out = """
                /dev/loop10 2146528 /tmp/lt/b\\x5cs.img
                /dev/loop2 2146595 /tmp/lt/\\xc3\\xbc\\x20x.img
                /dev/loop1 2146529 /tmp/lt/c.img\\x20(deleted)
                /dev/loop0 2146527 /tmp/lt/a\\x20b.img
                """;
        assertEquals(List.of(
                new LosetupListing.Entry(Path.of("/dev/loop0"), 2146527, "/tmp/lt/a b.img"),
                new LosetupListing.Entry(Path.of("/dev/loop1"), 2146529, "/tmp/lt/c.img (deleted)"),
                new LosetupListing.Entry(Path.of("/dev/loop2"), 2146595, "/tmp/lt/ü x.img"),
                new LosetupListing.Entry(Path.of("/dev/loop10"), 2146528, "/tmp/lt/b\\s.img")),
                LosetupListing.parse(out));
    }

    @Test
    void toleratesMissingInodesAndSkipsJunk() {
        String out = "/dev/loop3  /x.img\n\nnot a line\n/dev/loop4 12 \n";
        assertEquals(List.of(new LosetupListing.Entry(Path.of("/dev/loop3"), -1, "/x.img")),
                LosetupListing.parse(out));
    }
}
