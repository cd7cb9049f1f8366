package dev.berth.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.FsType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact command lines Berth builds, and the arguments it refuses to build them from. */
class CommandsTest {
    private static final Path DEV = Path.of("/dev/loop3");
    private static final Path MNT = Path.of("/var/lib/berth/volumes/v");

    @Test
    void mountCommandLines() {
        assertEquals(List.of("mount", "-t", "ext4", "/dev/loop3", "/var/lib/berth/volumes/v"),
                MountCommands.command(DEV, MNT, "ext4", List.of()));
        assertEquals(List.of("mount", "-t", "xfs", "-o", "ro,noatime", "/dev/loop3", "/var/lib/berth/volumes/v"),
                MountCommands.command(DEV, MNT, "xfs", List.of("ro", "noatime")));
    }

    @Test
    void mountRefusesOptionsThatCouldSmuggleMore() {
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "ext4", List.of("ro,suid")));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "ext4", List.of("--bind")));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "ext4", List.of("a b")));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "ext4", List.of("")));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "-t", List.of()));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, "ext4 ", List.of()));
        assertThrows(InvalidArgument.class, () -> MountCommands.command(DEV, MNT, null, List.of()));
    }

    @Test
    void mkfsCommandLines() {
        assertEquals(List.of("mkfs.ext4", "-q", "-F", "/dev/loop3"), FilesystemMaker.command(DEV, FsType.EXT4));
        assertEquals(List.of("mkfs.xfs", "-q", "/dev/loop3"), FilesystemMaker.command(DEV, FsType.XFS));
    }

    @Test
    void blkidExportIsReadAsTypeThenPartitionTable() {
        assertEquals("ext4", FilesystemProbe.signature("DEVNAME=/dev/loop0\nUUID=x\nTYPE=ext4\nUSAGE=filesystem\n"));
        assertEquals("partition table (gpt)", FilesystemProbe.signature("DEVNAME=/dev/loop0\nPTUUID=x\nPTTYPE=gpt\n"));
        assertEquals("crypto_LUKS", FilesystemProbe.signature("TYPE=crypto_LUKS\nUSAGE=crypto\n"));
        assertEquals("unknown signature (blkid found one but named no type)", FilesystemProbe.signature("DEVNAME=/dev/loop0\n"));
    }
}
