package dev.berth.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.InvalidArgument;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SystemFoldersTest {
    @Test
    void theRootAndTheSystemLayoutAreSystemFolders() {
        for (String p : new String[] {"/", "/etc", "/usr", "/usr/local", "/var", "/var/lib", "/home", "/root", "/tmp",
                "/mnt", "/run", "/boot", "/dev", "/proc", "/proc/1", "/sys/fs/cgroup", "/etc/", "/var/./lib"}) {
            assertTrue(SystemFolders.isSystem(Path.of(p)), p);
        }
    }

    @Test
    void foldersBelowThemAreNot() {
        for (String p : new String[] {"/var/lib/berth/state", "/var/lib/berth", "/srv/berth", "/tmp/junit1/state",
                "/mnt/disk1/berth", "/home/bob/berth", "/etc/berth"}) {
            assertFalse(SystemFolders.isSystem(Path.of(p)), p);
        }
    }

    @Test
    void theRefusalNamesWhatAndTheFix() {
        InvalidArgument e = assertThrows(InvalidArgument.class,
                () -> SystemFolders.check("stateDir = '/' (flag)", Path.of("/"), "/var/lib/berth/state"));
        assertEquals("stateDir = '/' (flag) is a system folder; Berth must have a folder of its own there", e.getMessage());
        assertEquals("use a folder only Berth uses, like /var/lib/berth/state", e.hint());
    }
}
