package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CsiEndpointTest {

    @Test
    void unixUriAndAbsolutePath() {
        assertEquals(Path.of("/run/berth/csi.sock"), CsiEndpoint.parse("unix:///run/berth/csi.sock").socket());
        assertEquals(Path.of("/run/berth/csi.sock"), CsiEndpoint.parse("/run/berth/csi.sock").socket());
        assertEquals("unix:///var/lib/kubelet/plugins/berth.dev/csi.sock",
                CsiEndpoint.parse("/var/lib/kubelet/plugins/berth.dev/csi.sock").uri());
    }

    @Test
    void longestPathThatFitsSunPath() {
        String fits = "/" + "a".repeat(CsiEndpoint.MAX_PATH_BYTES - 6) + ".sock";
        assertEquals(CsiEndpoint.MAX_PATH_BYTES, fits.length());
        CsiEndpoint.parse(fits);
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> CsiEndpoint.parse("/a" + fits.substring(1)));
        assertTrue(e.getMessage().contains("108 bytes"), e.getMessage());
        // Multi-byte characters count as bytes, not chars.
        assertThrows(InvalidArgument.class, () -> CsiEndpoint.parse("/" + "é".repeat(52) + ".sock"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "csi.sock", "run/csi.sock", "./csi.sock", "unix://run/csi.sock", "unix:/run/csi.sock",
        "unix:csi.sock", "tcp://127.0.0.1:1234", "http:///run/csi.sock", "/run/berth/csi", "/run/berth/csi.socket",
        "/run/berth/", "/run/berth/.sock", "/run/../etc/csi.sock", "unix:///run/./csi.sock", "/run/berth/..sock/../x.sock",
        "/run/a\0b.sock"})
    void refused(String text) {
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> CsiEndpoint.parse(text));
        assertTrue(e.hint().contains("unix:///"), e.hint());
        assertTrue(!e.getMessage().contains("\0"), "NUL is escaped in the message");
    }

    @Test
    void recordChecksToo() {
        assertThrows(InvalidArgument.class, () -> new CsiEndpoint(Path.of("relative.sock")));
        assertThrows(InvalidArgument.class, () -> new CsiEndpoint(null));
    }
}
