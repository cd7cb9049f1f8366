package dev.berth.app.config;

import dev.berth.core.error.InvalidArgument;
import dev.berth.csi.CsiEndpoint;
import java.util.regex.Pattern;

/** The csi.* keys, parsed and checked once: at load (so `berth env` refuses them too) and when wiring. */
public final class CsiSettings {
    /** A topology value as Kubernetes label values allow (the strictest consumer). */
    private static final Pattern ZONE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?");
    private static final long MAX_VOLUMES = 100_000;

    private CsiSettings() {
    }

    /** csi.socket (or CSI_ENDPOINT); empty: csi.sock in the folder of the API socket. */
    public static CsiEndpoint endpoint(Config c) {
        String v = c.get(Keys.CSI_SOCKET);
        return CsiEndpoint.parse(v.isEmpty() ? c.path(Keys.SOCKET).resolveSibling("csi.sock").toString() : v);
    }

    public static String zone(Config c) {
        String z = c.get(Keys.CSI_ZONE);
        if (!ZONE.matcher(z).matches()) {
            throw new InvalidArgument(Keys.CSI_ZONE.name() + " = '" + z + "' is not a valid zone",
                    "use up to 63 letters, digits, '_', '.', '-', starting and ending with a letter or digit");
        }
        return z;
    }

    public static long maxVolumes(Config c) {
        String v = c.get(Keys.CSI_MAX_VOLUMES);
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= MAX_VOLUMES) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidArgument(Keys.CSI_MAX_VOLUMES.name() + " = '" + v + "' is not a count",
                "use a whole number from 0 (the orchestrator decides) to " + MAX_VOLUMES);
    }

    static void validate(Config c) {
        c.bool(Keys.CSI_ENABLED);
        endpoint(c);
        zone(c);
        maxVolumes(c);
    }
}
