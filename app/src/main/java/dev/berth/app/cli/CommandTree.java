package dev.berth.app.cli;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The picocli tree for one command line. Picocli builds a command's model by reflection over every
 * option of every subcommand it declares; for all of Berth's commands that was a third of the
 * start-up of `berth version`. So the lists of subcommands are kept here, not in the annotations,
 * and where the next argument names a subcommand only that one is built (and so on down). Anything
 * else (no argument, an option first, a misspelt name) builds the whole level, so that help,
 * "did you mean" and usage errors see every command as before.
 */
public final class CommandTree {
    /** Each command whose subcommands are built on demand, with them in the order help lists them. */
    private static final Map<Class<?>, List<Class<?>>> CHILDREN = Map.of(
            BerthCommand.class, List.of(ServeCommand.class, VolumeCommand.class, SnapshotCommand.class, ServiceCommand.class, NodeCommand.class,
                    EventsCommand.class, TokenCommand.class, VersionCommand.class, EnvCommand.class),
            VolumeCommand.class, List.of(VolumeCommand.Ls.class, VolumeCommand.Create.class, VolumeCommand.Clone.class,
                    VolumeCommand.Expand.class, VolumeCommand.Rm.class,
                    VolumeCommand.Inspect.class, VolumeCommand.Attach.class, VolumeCommand.Detach.class,
                    VolumeCommand.Mount.class, VolumeCommand.Unmount.class, VolumeCommand.Path.class),
            SnapshotCommand.class, List.of(SnapshotCommand.Ls.class, SnapshotCommand.Create.class, SnapshotCommand.Rm.class,
                    SnapshotCommand.Inspect.class));

    private CommandTree() {
    }

    /** The tree for {@code args}: the path they name, or every command where they name none. */
    public static CommandLine of(String... args) {
        return build(BerthCommand.class, args, 0);
    }

    /** Every command: what help shows. */
    public static CommandLine full() {
        return build(BerthCommand.class, new String[0], 0);
    }

    private static CommandLine build(Class<?> type, String[] args, int at) {
        CommandLine cl = new CommandLine(instance(type));
        List<Class<?>> children = CHILDREN.getOrDefault(type, List.of());
        Class<?> named = at < args.length ? named(children, args[at]) : null;
        for (Class<?> child : children) {
            if (named == null) {
                cl.addSubcommand(build(child, new String[0], 0));
            } else if (child == named) {
                cl.addSubcommand(build(child, args, at + 1));
            }
        }
        return cl;
    }

    /** The child whose name or alias is {@code arg} (read from its annotation, not from a model). */
    static Class<?> named(List<Class<?>> children, String arg) {
        for (Class<?> child : children) {
            Command c = child.getAnnotation(Command.class);
            if (c.name().equals(arg) || List.of(c.aliases()).contains(arg)) {
                return child;
            }
        }
        return null;
    }

    private static Object instance(Class<?> type) {
        try {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot create command " + type.getName(), e);
        }
    }
}
