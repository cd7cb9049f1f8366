package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.service.NodeInfo;
import dev.berth.protocols.rest.RestClient;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "node", description = "Show the nodes (agents) known to the controller.", subcommands = NodeCommand.Ls.class)
public final class NodeCommand {
    @Command(name = "ls", description = "List registered nodes with their lease state.")
    static final class Ls extends VolumeCommand.Base {
        @Override
        void run(RestClient c) {
            List<NodeInfo> all = c.call(RestClient.Method.GET, "/v1/nodes", null, new TypeReference<List<NodeInfo>>() { });
            if (output.quiet) {
                all.forEach(n -> out().println(n.id()));
                out().flush();
            } else if (output.structured()) {
                output.data(out(), all);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (NodeInfo n : all) {
                    rows.add(List.of(n.id(), n.state(), n.state().equals("alive")
                            ? String.format("%.1fs", n.leaseLeftMs() / 1000.0) : "-", n.address(), n.version()));
                }
                Output.table(out(), List.of("NODE", "STATE", "LEASE LEFT", "ADDRESS", "VERSION"), rows);
            }
        }
    }
}
