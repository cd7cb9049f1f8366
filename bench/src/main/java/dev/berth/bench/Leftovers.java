package dev.berth.bench;

import dev.berth.core.error.BerthException;
import dev.berth.core.spi.HostOps;
import dev.berth.host.LinuxHostOps;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * After a run (or a failed one): unmounts what is mounted below the benchmark's own folder and
 * detaches the loop devices whose image lies below it. Nothing outside that folder is touched.
 */
final class Leftovers {
    private Leftovers() {
    }

    static void clean(Path dir) {
        HostOps host = new LinuxHostOps();
        host.mounts().stream().map(HostOps.MountEntry::target).filter(t -> t.startsWith(dir))
                .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).forEach(t -> {
                    try {
                        host.unmount(t);
                        System.err.println("bench: unmounted leftover " + t);
                    } catch (BerthException e) {
                        System.err.println("bench: could not unmount " + t + ": " + e.getMessage());
                    }
                });
        for (HostOps.LoopDevice loop : host.loops()) {
            if (loop.backingFile().startsWith(dir)) {
                try {
                    host.loopDetach(loop.device());
                    System.err.println("bench: detached leftover " + loop.device() + " (" + loop.backingFile() + ")");
                } catch (BerthException e) {
                    System.err.println("bench: could not detach " + loop.device() + ": " + e.getMessage());
                }
            }
        }
    }
}
