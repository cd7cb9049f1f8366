package dev.berth.app.cli;

import dev.berth.app.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.IVersionProvider;

@Command(name = "berth", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = BerthCommand.V.class,
        description = "Persistent volumes for containers, on pluggable storage. Needs a JDK 25 or newer.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0 ok, 1 failure in Berth or the host, 2 bad input or usage, 3 not found,",
                "  4 conflict (exists, busy, attached elsewhere), 5 out of capacity, 6 denied (needs root, auth),",
                "  7 unavailable (the state store lost its files; see --adopt-pool of serve)"})
/** The root command; its subcommands are listed in {@link CommandTree}. */
public final class BerthCommand {
    static final class V implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"berth " + Version.get()};
        }
    }
}
