package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Size;
import dev.berth.core.service.ServiceInfo;
import dev.berth.protocols.rest.RestClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;

@Command(name = "service", description = "Show the configured services.", subcommands = ServiceCommand.Ls.class)
public final class ServiceCommand {
    @Command(name = "ls", description = "List services with their driver, free space and what their volumes'"
            + " full sizes commit of it.")
    static final class Ls extends VolumeCommand.Base {
        @Override
        void run(RestClient c) {
            List<ServiceInfo> all = c.call(RestClient.Method.GET, "/v1/services", null, new TypeReference<List<ServiceInfo>>() { });
            if (output.quiet) {
                all.forEach(s -> out().println(s.name()));
                out().flush();
            } else if (output.structured()) {
                output.data(out(), all);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (ServiceInfo s : all) {
                    rows.add(List.of(s.name() + (s.isDefault() ? " (default)" : ""), s.driver(),
                            Size.human(s.totalBytes()), Size.human(s.availableBytes()), human(s.committedBytes()),
                            s.overcommit() == null ? "-" : String.format(Locale.ROOT, "%.2f", s.overcommit()),
                            human(s.headroomBytes())));
                }
                // COMMITTED: the volumes' full sizes; HEADROOM: the largest volume a create accepts now.
                Output.table(out(), List.of("SERVICE", "DRIVER", "TOTAL", "FREE", "COMMITTED", "OVERCOMMIT", "HEADROOM"),
                        rows);
            }
        }

        /** "-" where the driver does not count sizes (dir). */
        private static String human(Long bytes) {
            return bytes == null ? "-" : Size.human(bytes);
        }
    }
}
