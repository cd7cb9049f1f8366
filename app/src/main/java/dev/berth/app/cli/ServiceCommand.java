package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Size;
import dev.berth.core.service.ServiceInfo;
import dev.berth.protocols.rest.RestClient;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "service", description = "Show the configured services.", subcommands = ServiceCommand.Ls.class)
public final class ServiceCommand {
    @Command(name = "ls", description = "List services with their driver and free space.")
    static final class Ls extends VolumeCommand.Base {
        @Override
        void run(RestClient c) {
            List<ServiceInfo> all = c.call(HttpMethod.GET, "/v1/services", null, new TypeReference<List<ServiceInfo>>() { });
            if (output.quiet) {
                all.forEach(s -> out().println(s.name()));
                out().flush();
            } else if (output.structured()) {
                output.data(out(), all);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (ServiceInfo s : all) {
                    rows.add(List.of(s.name() + (s.isDefault() ? " (default)" : ""), s.driver(),
                            Size.human(s.totalBytes()), Size.human(s.availableBytes())));
                }
                Output.table(out(), List.of("SERVICE", "DRIVER", "TOTAL", "AVAILABLE"), rows);
            }
        }
    }
}
