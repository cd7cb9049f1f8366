package dev.berth.core.node;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Volume;
import dev.berth.core.spi.HostOps;
import dev.berth.core.spi.HostOps.FilesystemCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * No filesystem with known errors is mounted read-write, and nothing found is kept quiet. Before
 * a mount the filesystem is checked when its superblock asks for it (errors recorded, a journal
 * to recover, a repair to finish); what the check fixed is logged, errors it left refuse the mount
 * with the tool's own words and the commands to repair by hand. When a mount fails, the check
 * runs anyway, so the error says what is wrong with the filesystem and not only that mount failed.
 */
final class FilesystemGuard {
    private static final Logger LOG = Logger.getLogger(FilesystemGuard.class.getName());
    private final HostOps host;

    FilesystemGuard(HostOps host) {
        this.host = host;
    }

    /** Checks {@code device} if its superblock asks for it; throws if errors are left. */
    void beforeMount(Volume v, Path device, String fs) {
        if ("ext4".equals(fs)) {
            // Another host's kernel may still have it (its agent died): say so in seconds, before
            // e2fsck or the mount find out in tens of seconds.
            var held = host.heldByAnotherKernel(device);
            if (held.isPresent()) {
                throw held.get();
            }
        }
        judge(v, device, fs, host.checkFilesystem(device, fs, false), null);
    }

    /**
     * Checks (unless Berth made the filesystem just now: mkfs succeeded, so nothing is there to
     * find), mounts, and on a failed mount checks to say why.
     */
    void mount(Volume v, Path device, Path mountPoint, String fs, boolean madeNow) {
        if (!madeNow) {
            beforeMount(v, device, fs);
        }
        try {
            host.mount(device, mountPoint, fs, Mounter.optionsFor(fs));
        } catch (BackendFailure mountFailed) {
            FilesystemCheck c;
            try {
                c = host.checkFilesystem(device, fs, true);
            } catch (BackendFailure checkFailed) {
                mountFailed.addSuppressed(checkFailed);
                throw mountFailed;
            }
            if (c.outcome() == FilesystemCheck.Outcome.CLEAN) {
                throw mountFailed; // the filesystem is fine: the mount's own error is the story
            }
            judge(v, device, fs, c, mountFailed);
            host.mount(device, mountPoint, fs, Mounter.optionsFor(fs)); // repaired: one more try
        }
    }

    private static void judge(Volume v, Path device, String fs, FilesystemCheck c, BackendFailure mountFailed) {
        String what = "volume " + v.service() + "/" + v.name() + " (" + fs + " on " + device + ")";
        String before = mountFailed == null ? "" : "its mount failed (" + mountFailed.getMessage().strip() + "), then ";
        switch (c.outcome()) {
            case CLEAN -> {
                if (c.tool() != null) {
                    LOG.info(what + ": checked before mounting, clean: " + c.report());
                }
            }
            case REPAIRED -> LOG.warning(what + ": " + before + c.tool() + " repaired its filesystem, mounting it: "
                    + c.report());
            case UNKNOWN -> {
                if (mountFailed != null) {
                    throw new BackendFailure(what + ": " + before + c.report(), repairHint(v, fs), mountFailed);
                }
                if (c.tool() != null) {
                    LOG.warning(what + ": " + c.report());
                }
            }
            case ERRORS -> {
                LOG.severe(what + ": " + before + "errors left, not mounting it: " + c.report());
                throw new BackendFailure(what + " has filesystem errors, so Berth does not mount it: " + before
                        + c.report(), repairHint(v, fs), mountFailed);
            }
        }
    }

    /** The commands to repair by hand: attach without mounting, the tool itself, detach. */
    static String repairHint(Volume v, String fs) {
        String ref = v.name() + " --service " + v.service();
        String tool = fs.equals("xfs")
                ? "xfs_repair DEVICE (if it refuses because of a dirty log, only xfs_repair -L goes on, and it discards"
                + " the latest changes)"
                : "e2fsck -f DEVICE (it asks before each fix)";
        return "copy what matters off the volume first if you can; then `berth volume attach " + ref
                + "` (it shows the DEVICE), run " + tool + ", `berth volume detach " + ref + "` and mount again";
    }
}
