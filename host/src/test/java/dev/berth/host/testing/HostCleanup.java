package dev.berth.host.testing;

import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.LoopDevice;
import dev.berth.core.spi.HostOps.MountEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** After a test, even a failed one: unmount and detach whatever it left under its folder. */
public final class HostCleanup {
    private HostCleanup() {
    }

    public static void under(Path dir, HostOps host) throws IOException {
        if (!Root.isRoot()) {
            return;
        }
        Path real = dir.toRealPath();
        List<MountEntry> mounts = new ArrayList<>(host.mounts());
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (mounts.get(i).target().startsWith(real)) {
                try {
                    host.unmount(mounts.get(i).target());
                } catch (RuntimeException e) {
                    System.err.println("cleanup: " + e.getMessage());
                }
            }
        }
        for (LoopDevice loop : host.loops()) {
            if (loop.backingFile().startsWith(real)) {
                try {
                    host.loopDetach(loop.device());
                } catch (RuntimeException e) {
                    System.err.println("cleanup: " + e.getMessage());
                }
            }
        }
    }
}
