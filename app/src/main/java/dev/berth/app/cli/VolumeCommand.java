package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.error.InvalidArgument;
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
    static final TypeReference<dev.berth.protocols.rest.SnapshotBodies.Removed> REMOVED = new TypeReference<>() { };

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

    @Command(name = "create", description = {"Create a volume (idempotent for the same name, size and filesystem).",
            "With --from-snapshot or --from-volume it starts as a copy of that data (instant on a pool with reflinks; "
                    + "a long copy shows its progress on stderr)."})
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
        @Option(names = "--from-snapshot", paramLabel = "SNAPSHOT", description = "Start from this snapshot's data: "
                + "[SERVICE/]VOLUME@SNAPSHOT, a snapshot name unique among all, or its id (size and filesystem default to the snapshot's)")
        String fromSnapshot;
        @Option(names = "--from-volume", paramLabel = "VOLUME", description = "Start as a copy of this volume ([SERVICE/]VOLUME); "
                + "not with --from-snapshot")
        String fromVolume;

        @Override
        void run(RestClient c) {
            if (fromSnapshot != null && fromVolume != null) {
                throw new InvalidArgument("--from-snapshot and --from-volume are both given",
                        "start the volume from one snapshot or one volume: give only one of them");
            }
            printCreated(create(c, new CreateVolumeBody(name, service, size, fsType, labels, fromSnapshot, fromVolume, null),
                    spec.commandLine().getErr()));
        }

        void printCreated(VolumeView v) {
            if (output.structured()) {
                output.data(out(), v);
            } else {
                out().println(v.name());
                out().flush();
            }
        }
    }

    /** POST /v1/volumes, showing a long copy's progress on stderr. */
    static VolumeView create(RestClient c, CreateVolumeBody body, PrintWriter err) {
        CopyProgress progress = CopyProgress.forThisProcess(err);
        try {
            return c.call(RestClient.Method.POST, "/v1/volumes", body, VIEW, progress);
        } finally {
            progress.finish();
        }
    }

    @Command(name = "clone", description = "Create volume NEW as a copy of volume SOURCE (as create NEW --from-volume SOURCE).")
    static final class Clone extends Base {
        @Parameters(index = "0", paramLabel = "SOURCE", description = "The volume to copy ([SERVICE/]VOLUME); "
                + "one mounted on this node is frozen for the copy")
        String source;
        @Parameters(index = "1", paramLabel = "NEW", description = "Name of the new volume")
        String name;
        @Option(names = "--size", paramLabel = "SIZE", description = "Size of NEW, at least SOURCE's (default: SOURCE's); "
                + "NEW is in SOURCE's service, with its filesystem")
        String size;
        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Label (repeatable)")
        Map<String, String> labels = new LinkedHashMap<>();

        @Override
        void run(RestClient c) {
            VolumeView v = create(c, new CreateVolumeBody(name, null, size, null, labels, null, source, null),
                    spec.commandLine().getErr());
            if (output.structured()) {
                output.data(out(), v);
            } else {
                out().println(v.name());
                out().flush();
            }
        }
    }

    @Command(name = "expand", description = {"Grow a volume to SIZE (rounded up to 4 KiB); online when it is mounted.",
            "Shrinking is refused. On the dir driver the size is recorded but not enforced."})
    static final class Expand extends OneVolume {
        @Parameters(index = "1", paramLabel = "SIZE", description = "The new size, e.g. 2G (not smaller than now)")
        String size;

        @Override
        void run(RestClient c) {
            printVolume(c.call(RestClient.Method.POST, uri(name, service, "expand", false),
                    new dev.berth.protocols.rest.SnapshotBodies.Expand(size), VIEW));
        }
    }

    @Command(name = "rm", description = {"Remove a volume and its data.",
            "A volume with snapshots is refused (the error lists them) unless --force (removes them too, "
                    + "and prints each) or --keep-snapshots (they stay and can still be restored)."})
    static final class Rm extends OneVolume {
        @Option(names = {"-f", "--force"}, description = "Unmount and detach it on this node first (its users lose it), "
                + "and remove its snapshots with it")
        boolean force;
        @Option(names = "--keep-snapshots", description = "Keep the volume's snapshots (volume create --from-snapshot still works)")
        boolean keepSnapshots;

        @Override
        void run(RestClient c) {
            String policy = keepSnapshots ? "snapshots=keep" : force ? "snapshots=delete" : null;
            String u = uri(name, service, null, force);
            if (policy != null) {
                u += (u.contains("?") ? "&" : "?") + policy;
            }
            dev.berth.protocols.rest.SnapshotBodies.Removed removed = c.call(RestClient.Method.DELETE, u, null, REMOVED);
            List<String> snapshots = removed == null || removed.removedSnapshots() == null ? List.of() : removed.removedSnapshots();
            if (output.structured()) {
                if (!snapshots.isEmpty()) {
                    output.data(out(), removed);
                }
            } else if (!output.quiet) {
                snapshots.forEach(s -> out().println("removed snapshot " + s));
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
