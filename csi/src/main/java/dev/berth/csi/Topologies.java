package dev.berth.csi;

import csi.v1.Csi;
import java.util.List;

/**
 * Berth's one topology key: the zone a node is in ({@code csi.zone}), and the zone a controller's
 * pools serve. A volume is accessible from the nodes of its controller's zone; without a zone
 * configured, Berth reports no topology and every node may use every volume.
 */
final class Topologies {
    static final String ZONE = "topology.berth.dev/zone";

    private Topologies() {
    }

    static List<Csi.Topology> of(String zone) {
        return zone.isEmpty() ? List.of() : List.of(Csi.Topology.newBuilder().putSegments(ZONE, zone).build());
    }

    /**
     * Whether a volume in {@code zone} meets {@code req}: with requisite topologies, one of them
     * must name the zone (a requisite without Berth's key constrains nothing Berth knows of).
     */
    static boolean satisfies(String zone, Csi.TopologyRequirement req) {
        if (zone.isEmpty() || req.getRequisiteCount() == 0) {
            return true;
        }
        for (Csi.Topology t : req.getRequisiteList()) {
            String z = t.getSegmentsMap().get(ZONE);
            if (z == null || z.equals(zone)) {
                return true;
            }
        }
        return false;
    }
}
