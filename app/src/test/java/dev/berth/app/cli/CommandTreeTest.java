package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.testing.Cli;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Only the commands a command line names are built, and help still shows every command. */
class CommandTreeTest {
    static final List<String> COMMANDS = List.of("serve", "volume", "snapshot", "service", "node", "events", "token", "version", "env");
    static final List<String> VOLUME = List.of("ls", "create", "clone", "expand", "rm", "inspect", "attach", "detach", "mount", "unmount", "path");

    @Test
    void aNamedCommandBuildsOnlyItsPath() {
        CommandLine cl = CommandTree.of("volume", "ls", "-q");
        assertEquals(Set.of("volume"), cl.getSubcommands().keySet());
        assertEquals(Set.of("ls"), cl.getSubcommands().get("volume").getSubcommands().keySet());
        assertEquals(Set.of("version"), CommandTree.of("version").getSubcommands().keySet());
        // An alias names its command too.
        assertEquals(Set.of("unmount", "umount"),
                CommandTree.of("volume", "umount", "v").getSubcommands().get("volume").getSubcommands().keySet());
        // Commands whose subcommands picocli builds from their annotation keep them.
        assertEquals(Set.of("new", "decode"), CommandTree.of("token", "new").getSubcommands().get("token").getSubcommands().keySet());
    }

    @Test
    void anythingElseBuildsTheWholeLevel() {
        assertEquals(COMMANDS, List.copyOf(CommandTree.of().getSubcommands().keySet()));
        assertEquals(COMMANDS, List.copyOf(CommandTree.of("--help").getSubcommands().keySet()));
        assertEquals(COMMANDS, List.copyOf(CommandTree.of("volum", "ls").getSubcommands().keySet()));
        CommandLine volume = CommandTree.of("volume", "--help").getSubcommands().get("volume");
        assertTrue(volume.getSubcommands().keySet().containsAll(VOLUME), volume.getSubcommands().keySet().toString());
    }

    @Test
    void rootHelpListsEveryCommandAsTheFullTreeDoes() {
        Cli.Result r = Cli.raw("--help");
        assertEquals(0, r.code(), r.err());
        assertEquals(CommandTree.full().getUsageMessage(), r.out());
        for (String c : COMMANDS) {
            assertTrue(r.out().contains("\n  " + c + " "), c + " missing in:\n" + r.out());
        }
        assertTrue(r.out().contains("JDK 25"), r.out());
    }

    @Test
    void helpOfALevelAndOfALeafIsComplete() {
        Cli.Result volume = Cli.raw("volume", "--help");
        assertEquals(0, volume.code(), volume.err());
        for (String c : VOLUME) {
            assertTrue(volume.out().contains("\n  " + c), c + " missing in:\n" + volume.out());
        }
        Cli.Result ls = Cli.raw("volume", "ls", "--help");
        assertEquals(0, ls.code(), ls.err());
        assertTrue(ls.out().startsWith("Usage: berth volume ls "), ls.out());
        assertTrue(ls.out().contains("--socket=PATH") && ls.out().contains("-h, --help"), ls.out());
    }

    @Test
    void usageErrorsStillSeeEveryCommand() {
        Cli.Result typo = Cli.raw("volum");
        assertEquals(ExitCodes.USAGE, typo.code());
        assertTrue(typo.err().contains("volume"), typo.err());
        Cli.Result option = Cli.raw("--bogus", "volume", "ls");
        assertEquals(ExitCodes.USAGE, option.code());
        assertTrue(option.err().contains("Unknown option: '--bogus'"), option.err());
        Cli.Result leaf = Cli.raw("volume", "lss");
        assertEquals(ExitCodes.USAGE, leaf.code());
        assertTrue(leaf.err().contains("ls"), leaf.err());
    }

    @Test
    void versionAndHelpSetUpNoLogging() {
        assertFalse(needsLogs("version"));
        assertFalse(needsLogs("--help"));
        assertFalse(needsLogs("volume", "ls", "--help"));
        assertFalse(needsLogs("volume"));
        assertTrue(needsLogs("volume", "ls"));
        assertTrue(needsLogs("serve", "--config", "/nonexistent"));
    }

    private static boolean needsLogs(String... args) {
        return dev.berth.app.MainAccess.needsLogs(CommandTree.of(args).parseArgs(args));
    }
}
