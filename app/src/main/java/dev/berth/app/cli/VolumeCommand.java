package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Names;
import dev.berth.core.service.VolumeView;
import dev.berth.protocols.rest.CreateVolumeBody;
import dev.berth.protocols.rest.MountBody;
import dev.berth.protocols.rest.RestClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Its subcommands are listed in {@link CommandTree}. */
@Command(name = "volume", description = "Create, mount and manage volumes.")
public final class VolumeCommand {
    static final TypeReference<VolumeView> VIEW = new TypeReference<>() { };
    static final TypeReference<List<VolumeView>> VIEWS = new TypeReference<>() { };
    static final TypeReference<Map<String, String>> PATH = new TypeReference<>() { };

    /** What every volume subcommand shares: connection, output options and the writer. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ClientOptions client;
        @Mixin
        Output output;
        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() {
            try (RestClient c = client.connect()) {
                run(c);
            }
            return ExitCodes.OK;
        }

        abstract void run(RestClient c);

        static String uri(String name, String service, String action, boolean force) {
            // Checked here too so a name like "a/b" gets the name rule, not a routing error.
            Names.volume(name);
            StringBuilder u = new StringBuilder("/v1/volumes/").append(RestClient.enc(name));
            if (action != null) {
                u.append('/').append(action);
            }
            List<String> q = new ArrayList<>();
            if (service != null) {
                q.add("service=" + RestClient.enc(service));
            }
            if (force) {
                q.add("force=true");
            }
            return q.isEmpty() ? u.toString() : u + "?" + String.join("&", q);
        }

        void printPath(String path) {
            if (output.structured()) {
                output.data(out(), Map.of("path", path));
            } else {
                out().println(path);
                out().flush();
            }
        }

        void printVolume(VolumeView v) {
            if (output.quiet) {
                out().println(v.name());
            } else if (output.structured()) {
                output.data(out(), v);
            } else {
                output.format = Output.Format.yaml;
                output.data(out(), v);
            }
            out().flush();
        }
    }

    /** A subcommand naming one volume. */
    abstract static class OneVolume extends Base {
        @Parameters(index = "0", paramLabel = "NAME", description = "Volume name")
        String name;
        @Option(names = "--service", paramLabel = "SERVICE", description = "Service of the volume (needed only if the name exists in several)")
        String service;
    }

    @Command(name = "ls", description = "List volumes.")
    static final class Ls extends Base {
        @Option(names = "--service", paramLabel = "SERVICE", description = "Only volumes of this service")
        String service;

        @Override
        void run(RestClient c) {
            List<VolumeView> all = c.call(RestClient.Method.GET, "/v1/volumes" + (service == null ? "" : "?service="
                    + RestClient.enc(service)), null, VIEWS);
            if (output.quiet) {
                all.forEach(v -> out().println(v.name()));
                out().flush();
            } else if (output.structured()) {
                output.data(out(), all);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (VolumeView v : all) {
                    rows.add(List.of(v.name(), v.service(), v.size(), v.fsType(), v.status(),
                            v.node() == null ? "-" : v.node(), String.valueOf(v.mountRefs().size())));
                }
                Output.table(out(), List.of("NAME", "SERVICE", "SIZE", "FS", "STATUS", "NODE", "MOUNTS"), rows);
            }
        }
    }

    @Command(name = "create", description = "Create a volume (idempotent for the same name, size and filesystem).")
    static final class Create extends Base {
        @Parameters(index = "0", paramLabel = "NAME", description = "Volume name: letters, digits, '_', '.', '-'; at most 128")
        String name;
        @Option(names = "--size", paramLabel = "SIZE", description = "Size, e.g. 512M, 1G, 10GiB (default: volumes.defaultSize)")
        String size;
        @Option(names = {"--fs-type", "--fstype"}, paramLabel = "FS", description = "ext4 or xfs (default: volumes.defaultFsType)")
        String fsType;
        @Option(names = "--service", paramLabel = "SERVICE", description = "Service to create it in (default: volumes.defaultService)")
        String service;
        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Label (repeatable)")
        Map<String, String> labels = new LinkedHashMap<>();

        @Override
        void run(RestClient c) {
            VolumeView v = c.call(RestClient.Method.POST, "/v1/volumes", new CreateVolumeBody(name, service, size, fsType, labels), VIEW);
            if (output.structured()) {
                output.data(out(), v);
            } else {
                out().println(v.name());
                out().flush();
            }
        }
    }

    @Command(name = "rm", description = "Remove a volume and its data.")
    static final class Rm extends OneVolume {
        @Option(names = {"-f", "--force"}, description = "Unmount and detach it on this node first (its users lose it)")
        boolean force;

        @Override
        void run(RestClient c) {
            c.call(RestClient.Method.DELETE, uri(name, service, null, force), null, VIEW);
            if (!output.quiet && !output.structured()) {
                out().println("removed " + name);
                out().flush();
            }
        }
    }

    @Command(name = "inspect", description = "Show one volume in detail.")
    static final class Inspect extends OneVolume {
        @Override
        void run(RestClient c) {
            printVolume(c.call(RestClient.Method.GET, uri(name, service, null, false), null, VIEW));
        }
    }

    @Command(name = "attach", description = "Claim the volume for this node and attach it (no mount).")
    static final class Attach extends OneVolume {
        @Option(names = "--preempt", description = "Take it from the live node that holds it (logged as an event; "
                + "that node is told to stop its writers and give the volume up)")
        boolean preempt;

        @Override
        void run(RestClient c) {
            printVolume(c.call(RestClient.Method.POST, preempt(uri(name, service, "attach", false), preempt), null, VIEW));
        }
    }

    static String preempt(String uri, boolean preempt) {
        return !preempt ? uri : uri + (uri.contains("?") ? "&" : "?") + "preempt=true";
    }

    @Command(name = "detach", description = "Detach the volume from this node and release its claim.")
    static final class Detach extends OneVolume {
        @Option(names = {"-f", "--force"}, description = "Also drop its mount references and unmount it")
        boolean force;

        @Override
        void run(RestClient c) {
            printVolume(c.call(RestClient.Method.POST, uri(name, service, "detach", force), null, VIEW));
        }
    }

    @Command(name = "mount", description = "Mount the volume on this node (formats it on first use); prints the container path.")
    static final class Mount extends OneVolume {
        @Option(names = "--ref", paramLabel = "REF", description = "Who uses the mount; each ref needs its own unmount (default: ${DEFAULT-VALUE})")
        String ref = "cli";
        @Option(names = "--preempt", description = "Take it from the live node that holds it (as for attach --preempt)")
        boolean preempt;

        @Override
        void run(RestClient c) {
            printPath(c.call(RestClient.Method.POST, preempt(uri(name, service, "mount", false), preempt), new MountBody(ref),
                    PATH).get("path"));
        }
    }

    @Command(name = "unmount", aliases = "umount", description = "Drop a mount reference; the last one unmounts and detaches.")
    static final class Unmount extends OneVolume {
        @Option(names = "--ref", paramLabel = "REF", description = "The reference given to mount (default: ${DEFAULT-VALUE})")
        String ref = "cli";

        @Override
        void run(RestClient c) {
            c.call(RestClient.Method.POST, uri(name, service, "unmount", false), new MountBody(ref), PATH);
        }
    }

    @Command(name = "path", description = "Print the container path of a volume mounted on this node.")
    static final class Path extends OneVolume {
        @Override
        void run(RestClient c) {
            printPath(c.call(RestClient.Method.GET, uri(name, service, "path", false), null, PATH).get("path"));
        }
    }
}
