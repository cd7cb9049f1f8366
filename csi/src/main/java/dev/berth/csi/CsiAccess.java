package dev.berth.csi;

import csi.v1.Csi;
import csi.v1.Csi.VolumeCapability.AccessMode.Mode;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotSupported;
import dev.berth.core.model.FsType;
import dev.berth.core.service.Access;
import java.util.List;

/**
 * A CSI VolumeCapability as Berth's {@link Access}, checked: the access modes Berth can honour are
 * the single-node ones (a volume is at one host at a time, by its claim); no driver of today can
 * give one volume to several nodes, so MULTI_NODE_* are refused as not supported.
 */
final class CsiAccess {
    private CsiAccess() {
    }

    /** {@code readonly} is the publish request's flag (false for a stage). */
    static Access of(Csi.VolumeCapability cap, boolean readonly) {
        Mode mode = mode(cap);
        boolean readerOnly = mode == Mode.SINGLE_NODE_READER_ONLY;
        boolean multi = mode == Mode.SINGLE_NODE_MULTI_WRITER;
        return switch (cap.getAccessTypeCase()) {
            case BLOCK -> new Access(true, null, List.of(), readonly || readerOnly, multi);
            case MOUNT -> {
                Csi.VolumeCapability.MountVolume m = cap.getMount();
                if (!m.getVolumeMountGroup().isEmpty()) {
                    throw new NotSupported("volume_mount_group is not supported by Berth",
                            "leave it empty (Berth does not advertise VOLUME_MOUNT_GROUP)");
                }
                String fs = m.getFsType().isEmpty() ? null : FsType.parse(m.getFsType()).id();
                yield new Access(false, fs, m.getMountFlagsList(), readonly || readerOnly, multi);
            }
            case ACCESSTYPE_NOT_SET -> throw new InvalidArgument("the volume capability has no access type",
                    "set block or mount in VolumeCapability");
        };
    }

    static Mode mode(Csi.VolumeCapability cap) {
        if (!cap.hasAccessMode()) {
            throw new InvalidArgument("the volume capability has no access mode", "set VolumeCapability.access_mode");
        }
        Mode mode = cap.getAccessMode().getMode();
        return switch (mode) {
            case SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY, SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER -> mode;
            case MULTI_NODE_READER_ONLY, MULTI_NODE_SINGLE_WRITER, MULTI_NODE_MULTI_WRITER ->
                    throw new NotSupported("access mode " + mode + " is not supported: a Berth volume is used by one "
                            + "node at a time", "use a SINGLE_NODE_* access mode");
            case UNKNOWN, UNRECOGNIZED -> throw new InvalidArgument("access mode " + mode + " is not a valid mode",
                    "use SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY, SINGLE_NODE_SINGLE_WRITER or SINGLE_NODE_MULTI_WRITER");
        };
    }

    static void requireSome(List<Csi.VolumeCapability> caps) {
        if (caps.isEmpty()) {
            throw new InvalidArgument("volume capabilities are missing", "pass at least one VolumeCapability");
        }
    }
}
