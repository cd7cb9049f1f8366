package dev.berth.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import org.junit.jupiter.api.Test;

class MountRefsTest {
    private static final String HEX = "0123456789abcdef".repeat(4);

    @Test
    void dockerIdsLiveInTheirOwnNamespace() {
        assertEquals("docker:" + HEX, MountRefs.docker(HEX));
        assertEquals("docker:cli", MountRefs.docker("cli"), "whatever Docker sends stays apart from a CLI's 'cli'");
        assertThrows(InvalidArgument.class, () -> MountRefs.docker(""));
        assertThrows(InvalidArgument.class, () -> MountRefs.docker("x".repeat(MountRefs.MAX_LENGTH)));
    }

    @Test
    void restAndCliCallersCannotWriteIntoAReservedNamespace() {
        assertEquals("cli", MountRefs.user("cli"));
        assertEquals(HEX, MountRefs.user(HEX), "a container id is a fine reference of one's own");
        assertEquals("my-app:docker:x", MountRefs.user("my-app:docker:x"));
        for (String bad : new String[] {"docker:" + HEX, "docker:", "DOCKER:abc", "csi:/var/lib/kubelet/x", "Csi:y"}) {
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> MountRefs.user(bad), bad);
            assertTrue(e.getMessage().contains("which is reserved for"), e.getMessage());
        }
        assertThrows(InvalidArgument.class, () -> MountRefs.user(" "));
        assertThrows(InvalidArgument.class, () -> MountRefs.user(null));
    }

    @Test
    void onlyABare64HexReferenceIsAnOlderBerthsDockerId() {
        assertTrue(MountRefs.isLegacyDocker(HEX));
        assertFalse(MountRefs.isLegacyDocker("docker:" + HEX));
        assertFalse(MountRefs.isLegacyDocker(HEX.toUpperCase()));
        assertFalse(MountRefs.isLegacyDocker(HEX.substring(1)));
        assertFalse(MountRefs.isLegacyDocker("cli"));
    }
}
