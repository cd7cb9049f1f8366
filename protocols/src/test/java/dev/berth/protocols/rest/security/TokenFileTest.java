package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir
    Path tmp;

    Path file(String content, String mode) throws Exception {
        Path f = tmp.resolve("token-" + System.nanoTime());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    static InvalidArgument refused(Path f, String says) {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> TokenFile.read(f));
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertTrue(!e.hint().isEmpty(), "every refusal says what to do");
        return e;
    }

    @Test
    void readsOneTokenWithoutItsTrailingNewline() throws Exception {
        assertEquals("aaa.bbb.ccc", TokenFile.read(file("aaa.bbb.ccc\n", "rw-------")));
        assertEquals("aaa.bbb.ccc", TokenFile.read(file("aaa.bbb.ccc\r\n", "r--------")));
        assertEquals("aaa.bbb.ccc", TokenFile.read(file("aaa.bbb.ccc", "rw-------")));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), file("x.y.z\n", "rw-------"));
        assertEquals("x.y.z", TokenFile.read(link), "a symlink to a private file is fine (secret volumes use them)");
    }

    @Test
    void aFileOthersMayReadOrChangeIsRefusedWithTheChmod() throws Exception {
        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw-----w-"}) {
            InvalidArgument e = refused(file("a.b.c\n", mode), "other users may read or change");
            assertTrue(e.hint().contains("chmod 600"), e.hint());
        }
    }

    @Test
    void missingEmptyHugeOrNonTokenFilesAreRefused() throws Exception {
        refused(tmp.resolve("absent"), "does not exist");
        refused(tmp, "not a regular file");
        refused(file("", "rw-------"), "is empty");
        refused(file(" \n\n", "rw-------"), "is empty");
        refused(file("a".repeat(TokenFile.MAX_BYTES + 1), "rw-------"), "is at most");
        refused(file("a.b.c\nd.e.f\n", "rw-------"), "more than one token");
        refused(file("Bearer a.b.c", "rw-------"), "more than one token");
        refused(file("a.b.\u00e9", "rw-------"), "characters no token has");
        refused(Path.of("/dev/zero"), "not a regular file");
    }
}
