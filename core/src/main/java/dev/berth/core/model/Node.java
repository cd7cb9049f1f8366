package dev.berth.core.model;

/** A host that runs the agent role; stored under {@code nodes/<id>}, bound to its heartbeat lease. */
public record Node(String id, String address, String version) {
    public Node {
        Names.node(id);
        address = address == null ? "" : address;
        version = version == null ? "" : version;
    }
}
