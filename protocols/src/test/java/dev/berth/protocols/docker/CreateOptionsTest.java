package dev.berth.protocols.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.ContentSource;
import dev.berth.core.service.CreateVolume;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `docker volume create -o ...` as a create request: the content sources among the other options. */
class CreateOptionsTest {
    @Test
    void fromSnapshotAndFromVolumeBecomeTheSource() {
        CreateVolume s = CreateOptions.request("r", Map.of("fromSnapshot", "db@nightly", "size", "2G"));
        assertEquals(ContentSource.snapshot("db@nightly"), s.source());
        assertEquals("2G", s.size());
        assertNull(s.frozenBy(), "a Docker request never says it froze anything");
        assertEquals(ContentSource.volume("prod/db"), CreateOptions.request("c", Map.of("FROMVOLUME", "prod/db")).source());
        assertNull(CreateOptions.request("e", Map.of()).source());
    }

    @Test
    void bothSourcesOrAnEmptyOneAreRefusedAndUnknownOptionsStillAre() {
        InvalidArgument both = assertThrows(InvalidArgument.class,
                () -> CreateOptions.request("x", Map.of("fromSnapshot", "db@s", "fromVolume", "db")));
        assertTrue(both.getMessage().contains("fromSnapshot") && both.getMessage().contains("fromVolume"), both.getMessage());
        InvalidArgument empty = assertThrows(InvalidArgument.class, () -> CreateOptions.request("x", Map.of("fromVolume", " ")));
        assertTrue(empty.getMessage().contains("fromVolume has no value"), empty.getMessage());
        InvalidArgument unknown = assertThrows(InvalidArgument.class, () -> CreateOptions.request("x", Map.of("fromSnap", "s")));
        assertTrue(unknown.getMessage().contains("'fromSnap'"), unknown.getMessage());
        assertTrue(unknown.hint().contains("fromSnapshot"), unknown.hint());
    }
}
