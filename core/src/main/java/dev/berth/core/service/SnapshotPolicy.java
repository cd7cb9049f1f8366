package dev.berth.core.service;

/** What a volume remove does with the volume's snapshots. */
public enum SnapshotPolicy {
    /** Refuse the remove while the volume has snapshots, naming them (the default). */
    REFUSE,
    /** Remove them with the volume ({@code --force}); the remove answers which it removed. */
    DELETE,
    /** Keep them: they stand on their own and can still be restored (CSI's DeleteVolume). */
    KEEP
}
