package dev.berth.csi;

import dev.berth.core.error.InvalidArgument;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * CSI's volume and snapshot names are any string of up to 128 bytes; Berth's are Docker-style. A CSI name that
 * is a valid Berth name is used as it is (so `berth volume ls` shows Kubernetes' pvc-… names);
 * any other gets a derived name that is the same every time, which keeps CreateVolume idempotent.
 */
final class CsiNames {
    private static final Pattern BERTH = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final int MAX_CSI_BYTES = 128;

    private CsiNames() {
    }

    static String volumeName(String csiName) {
        return berthName("volume", "CreateVolumeRequest.name", csiName);
    }

    /**
     * The same for snapshots. CSI snapshot names are unique per plugin, Berth's per volume: the
     * caller checks the name against every volume's snapshots.
     */
    static String snapshotName(String csiName) {
        return berthName("snapshot", "CreateSnapshotRequest.name", csiName);
    }

    private static String berthName(String what, String field, String csiName) {
        if (csiName == null || csiName.isEmpty()) {
            throw new InvalidArgument("the " + what + " name is missing", "pass a name (" + field + ")");
        }
        if (csiName.getBytes(StandardCharsets.UTF_8).length > MAX_CSI_BYTES) {
            throw new InvalidArgument("the " + what + " name is longer than " + MAX_CSI_BYTES + " bytes",
                    "CSI allows at most 128 bytes; pass a shorter name");
        }
        if (BERTH.matcher(csiName).matches() && !csiName.contains("..")) {
            return csiName;
        }
        StringBuilder b = new StringBuilder();
        for (char c : csiName.toCharArray()) {
            b.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-') ? c : '-');
        }
        String base = b.toString().replaceAll("^[^A-Za-z0-9]+", "");
        if (base.length() > 100) {
            base = base.substring(0, 100);
        }
        return (base.isEmpty() ? "csi" : base) + "-" + digest(csiName);
    }

    private static String digest(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
