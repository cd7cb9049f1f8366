package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Event;
import dev.berth.core.model.Names;
import dev.berth.protocols.rest.RestClient;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "events", description = "Show takeovers, preemptions and self-fencing (oldest first).")
public final class EventsCommand extends VolumeCommand.Base {
    @Option(names = "--volume", paramLabel = "NAME", description = "Only the events of this volume")
    String volume;
    @Option(names = "--service", paramLabel = "SERVICE", description = "Service of --volume (needed only if the name exists in several)")
    String service;
    @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "How many of the newest events (1-1000; default: ${DEFAULT-VALUE})")
    int limit = 100;

    @Override
    void run(RestClient c) {
        StringBuilder q = new StringBuilder("/v1/events?limit=").append(limit);
        if (volume != null) {
            q.append("&volume=").append(RestClient.enc(Names.volume(volume)));
            if (service != null) {
                q.append("&service=").append(RestClient.enc(Names.service(service)));
            }
        }
        List<Event> all = c.call(RestClient.Method.GET, q.toString(), null, new TypeReference<List<Event>>() { });
        if (output.quiet) {
            all.forEach(e -> out().println(e.id()));
            out().flush();
        } else if (output.structured()) {
            output.data(out(), all);
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (Event e : all) {
                rows.add(List.of(e.at().toString(), e.kind(), e.volume() == null ? e.volumeId() : e.volume(),
                        e.from() == null ? "-" : e.from(), e.to() == null ? "-" : e.to(), String.valueOf(e.epoch()), e.reason()));
            }
            Output.table(out(), List.of("TIME", "KIND", "VOLUME", "FROM", "TO", "EPOCH", "REASON"), rows);
        }
    }
}
