package dev.berth.app.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.berth.core.model.Names;
import dev.berth.core.service.SnapshotRef;
import dev.berth.core.service.SnapshotView;
import dev.berth.protocols.rest.RestClient;
import dev.berth.protocols.rest.SnapshotBodies;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Its subcommands are listed in {@link CommandTree}. */
@Command(name = "snapshot", description = "Take, list and remove point-in-time copies of volumes.")
public final class SnapshotCommand {
    static final TypeReference<SnapshotView> VIEW = new TypeReference<>() { };
    static final TypeReference<List<SnapshotView>> VIEWS = new TypeReference<>() { };
    static final String REF_HELP = "[SERVICE/]VOLUME@SNAPSHOT, a snapshot name unique among all, or a snapshot id";

    /** {@code /v1/snapshots/<ref>}, the reference checked here first so a bad one gets the name rule's message. */
    static String snapshotUri(String ref) {
        return "/v1/snapshots/" + RestClient.enc(SnapshotRef.parse(ref).toString());
    }

    static void print(VolumeCommand.Base cmd, SnapshotView s) {
        if (cmd.output.quiet) {
            cmd.out().println(s.volumeName() + "@" + s.name());
        } else if (cmd.output.structured()) {
            cmd.output.data(cmd.out(), s);
        } else {
            cmd.output.format = Output.Format.yaml;
            cmd.output.data(cmd.out(), s);
        }
        cmd.out().flush();
    }

    @Command(name = "ls", description = "List snapshots (also those of removed volumes).")
    static final class Ls extends VolumeCommand.Base {
        @Option(names = "--volume", paramLabel = "VOLUME", description = "Only snapshots of this volume")
        String volume;
        @Option(names = "--service", paramLabel = "SERVICE", description = "Only snapshots of volumes of this service")
        String service;

        @Override
        void run(RestClient c) {
            List<String> q = new ArrayList<>();
            if (volume != null) {
                q.add("volume=" + RestClient.enc(Names.volume(volume)));
            }
            if (service != null) {
                q.add("service=" + RestClient.enc(service));
            }
            List<SnapshotView> all = c.call(RestClient.Method.GET, "/v1/snapshots" + (q.isEmpty() ? "" : "?" + String.join("&", q)),
                    null, VIEWS);
            if (output.quiet) {
                all.forEach(s -> out().println(s.volumeName() + "@" + s.name()));
                out().flush();
            } else if (output.structured()) {
                output.data(out(), all);
            } else {
                List<List<String>> rows = new ArrayList<>();
                for (SnapshotView s : all) {
                    rows.add(List.of(s.volumeName() + (s.volumeExists() ? "" : " (removed)"), s.name(), s.service(), s.size(),
                            s.method(), s.consistency(), String.valueOf(s.created())));
                }
                Output.table(out(), List.of("VOLUME", "SNAPSHOT", "SERVICE", "SIZE", "METHOD", "CONSISTENCY", "CREATED"), rows);
            }
        }
    }

    @Command(name = "create", description = {"Take a snapshot of VOLUME named NAME (idempotent for the same name).",
            "A volume mounted on this node is frozen for the copy; one mounted on another node is refused "
                    + "(take it there). A long copy shows its progress on stderr."})
    static final class Create extends VolumeCommand.Base {
        @Parameters(index = "0", paramLabel = "VOLUME", description = "The volume to copy")
        String volume;
        @Parameters(index = "1", paramLabel = "NAME", description = "Snapshot name, unique per volume: letters, digits, '_', '.', '-'")
        String name;
        @Option(names = "--service", paramLabel = "SERVICE", description = "Service of the volume (needed only if the name exists in several)")
        String service;

        @Override
        void run(RestClient c) {
            CopyProgress progress = CopyProgress.forThisProcess(spec.commandLine().getErr());
            SnapshotView s;
            try {
                s = c.call(RestClient.Method.POST, "/v1/snapshots", new SnapshotBodies.Create(volume, service, name, null),
                        VIEW, progress);
            } finally {
                progress.finish();
            }
            if (output.structured()) {
                output.data(out(), s);
            } else {
                out().println(s.volumeName() + "@" + s.name());
                out().flush();
            }
        }
    }

    @Command(name = "rm", description = "Remove a snapshot and its data (volumes made from it are not touched).")
    static final class Rm extends VolumeCommand.Base {
        @Parameters(index = "0", paramLabel = "SNAPSHOT", description = REF_HELP)
        String ref;

        @Override
        void run(RestClient c) {
            c.call(RestClient.Method.DELETE, snapshotUri(ref), null, VIEW);
            if (!output.quiet && !output.structured()) {
                out().println("removed snapshot " + ref);
                out().flush();
            }
        }
    }

    @Command(name = "inspect", description = "Show one snapshot in detail (how it was copied, how consistent it is).")
    static final class Inspect extends VolumeCommand.Base {
        @Parameters(index = "0", paramLabel = "SNAPSHOT", description = REF_HELP)
        String ref;

        @Override
        void run(RestClient c) {
            print(this, c.call(RestClient.Method.GET, snapshotUri(ref), null, VIEW));
        }
    }
}
