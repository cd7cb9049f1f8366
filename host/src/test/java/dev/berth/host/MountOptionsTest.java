package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.util.List;
import org.junit.jupiter.api.Test;

/** mount(2)'s flags and data for an option list: what strace shows mount(8) passing for it. */
class MountOptionsTest {
    @Test
    void noOptionsIsNoFlagsAndNullData() {
        assertEquals(new MountOptions(0, null), MountOptions.parse(List.of()));
        assertEquals(new MountOptions(0, null), MountOptions.parse(null));
        assertEquals(new MountOptions(0, null), MountOptions.parse(List.of("defaults", "rw")));
    }

    @Test
    void genericOptionsAreFlagsTheRestIsDataInOrder() {
        // strace mount -t ext4 -o ro,noatime,discard,errors=remount-ro: MS_RDONLY|MS_NOATIME, "discard,errors=remount-ro"
        assertEquals(new MountOptions(MountOptions.MS_RDONLY | MountOptions.MS_NOATIME, "discard,errors=remount-ro"),
                MountOptions.parse(List.of("ro", "noatime", "discard", "errors=remount-ro")));
        assertEquals(new MountOptions(MountOptions.MS_NOSUID | MountOptions.MS_NODEV | MountOptions.MS_NOEXEC, null),
                MountOptions.parse(List.of("nosuid", "nodev", "noexec")));
        assertEquals(new MountOptions(1 << 21 | 1 << 25, "nouuid"), MountOptions.parse(List.of("relatime", "lazytime", "nouuid")));
    }

    @Test
    void laterOptionsWin() {
        assertEquals(new MountOptions(0, null), MountOptions.parse(List.of("ro", "rw")));
        assertEquals(new MountOptions(MountOptions.MS_RDONLY, null), MountOptions.parse(List.of("rw", "ro")));
        assertEquals(new MountOptions(0, null), MountOptions.parse(List.of("noatime", "atime")));
    }

    @Test
    void optionsMount8HandlesItselfAreRefused() {
        for (String o : List.of("remount", "move", "loop", "loop=/dev/loop0", "offset=512", "user",
                "nofail", "x-systemd.automount", "X-mount.mkdir", "rshared", "_netdev")) {
            InvalidArgument e = assertThrows(InvalidArgument.class, () -> MountOptions.parse(List.of(o)), o);
            assertTrue(e.getMessage().contains("mount(8) acts on itself"), e.getMessage());
        }
    }

    @Test
    void bindGoesAlone() {
        // strace mount -o bind / -o rbind: MS_BIND / MS_BIND|MS_REC, data NULL
        assertEquals(new MountOptions(4096, null), MountOptions.parse(List.of("bind")));
        assertEquals(new MountOptions(4096 | 16384, null), MountOptions.parse(List.of("rbind")));
        assertThrows(InvalidArgument.class, () -> MountOptions.parse(List.of("bind", "ro")));
        assertThrows(InvalidArgument.class, () -> MountOptions.parse(List.of("noatime", "rbind")));
    }

    @Test
    void optionsThatCouldSmuggleMoreAreRefused() {
        for (String o : List.of("ro,suid", "--bind", "a b", "", "tab\tx")) {
            assertThrows(InvalidArgument.class, () -> MountOptions.parse(List.of(o)), o);
        }
    }
}
