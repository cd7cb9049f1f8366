package dev.berth.core.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Volume;
import org.junit.jupiter.api.Test;

class StateKeysTest {
    @Test
    void mountRefsWithSlashesStayOneKeySegment() {
        String key = StateKeys.mount("n1", "abc", "/var/lib/kubelet/pods/x/volumes/y");
        assertTrue(key.startsWith(StateKeys.mountsOf("n1", "abc")));
        assertFalse(key.substring(StateKeys.mountsOf("n1", "abc").length()).contains("/"));
        assertEquals("/var/lib/kubelet/pods/x/volumes/y", StateKeys.refOf(key));
        assertEquals("abc", StateKeys.volumeIdOf(key, StateKeys.mountsOf("n1")));
    }

    @Test
    void nameKeysOfOneServiceDoNotPrefixAnother() {
        assertFalse(StateKeys.name("a", "x").startsWith(StateKeys.name("ab", "")));
    }

    @Test
    void mountLayoutKeepsServicesApart() {
        MountLayout layout = new MountLayout(Path.of("/var/lib/berth/volumes"), "local");
        Volume local = new Volume("1", "db", "local", "loop", "1.img", 1L << 30, FsType.EXT4, Map.of(), Instant.EPOCH, null);
        Volume other = new Volume("2", "db", "fast", "loop", "2.img", 1L << 30, FsType.EXT4, Map.of(), Instant.EPOCH, null);
        assertEquals(Path.of("/var/lib/berth/volumes/db"), layout.mountPoint(local));
        assertEquals(Path.of("/var/lib/berth/volumes/fast@db"), layout.mountPoint(other));
        assertEquals(Path.of("/var/lib/berth/volumes/db/data"), MountLayout.containerPath(layout.mountPoint(local)));
    }
}
