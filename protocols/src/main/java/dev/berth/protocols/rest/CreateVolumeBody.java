package dev.berth.protocols.rest;

import java.util.Map;

/** Body of {@code POST /v1/volumes}. */
public record CreateVolumeBody(String name, String service, String size, String fsType, Map<String, String> labels) {
    static final String EXAMPLE = "{\"name\":\"db\",\"size\":\"1G\",\"fsType\":\"ext4\"}";
}
