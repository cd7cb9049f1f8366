package dev.berth.core.node;

import dev.berth.core.spi.ContainerRuntime;
import dev.berth.core.spi.HostOps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Fencing on a real host: the container engine kills the containers that use the mount (it would
 * restart them if only their processes died), then every process still holding a file, a mapping
 * or its working folder on the filesystem gets SIGKILL (found in /proc by device number, so
 * processes in other mount namespaces are found too). No grace for writers: by the time a node
 * fences, the volume may be someone else's in a second or two.
 */
public final class HostFenceOps implements FenceOps {
    private static final int ROUNDS = 5;
    private final ContainerRuntime runtime;
    private final HostOps host;

    public HostFenceOps(ContainerRuntime runtime, HostOps host) {
        this.runtime = runtime;
        this.host = host;
    }

    @Override
    public List<String> stopWriters(Path mountPoint, String volumeName) {
        List<String> done = new ArrayList<>();
        // The engine and the process table at once: fencing time is the slower of the two, not their
        // sum (an engine under load can take seconds to answer a kill).
        java.util.concurrent.CompletableFuture<List<String>> containers = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("fence-containers").start(() -> {
            try {
                containers.complete(runtime.killUsing(mountPoint, volumeName));
            } catch (RuntimeException e) {
                containers.completeExceptionally(e);
            }
        });
        done.addAll(killAll(() -> host.processesUsing(mountPoint)));
        try {
            done.addAll(0, containers.join().stream().map(c -> "container " + c).toList());
        } catch (java.util.concurrent.CompletionException e) {
            done.add("could not ask the container engine (" + e.getCause().getMessage() + "); its containers' "
                    + "processes that use the volume were killed instead");
        }
        return done;
    }

    @Override
    public List<String> stopDeviceUsers(Path device) {
        return killAll(() -> host.processesUsingDevice(device));
    }

    /** Kills every process {@code users} names, a few rounds (a process may fork or open a file meanwhile). */
    private List<String> killAll(java.util.function.Supplier<List<HostOps.ProcessUse>> users) {
        List<String> done = new ArrayList<>();
        Set<Long> killed = new LinkedHashSet<>();
        for (int round = 0; round < ROUNDS; round++) {
            List<HostOps.ProcessUse> now = users.get();
            if (now.isEmpty()) {
                break;
            }
            for (HostOps.ProcessUse u : now) {
                host.kill(u.pid());
                if (killed.add(u.pid())) {
                    done.add("process " + u.pid() + " (" + u.command() + ", " + u.how() + ")");
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return done;
    }

    @Override
    public void unmountLazy(Path mountPoint) {
        host.unmountLazy(mountPoint);
    }
}
