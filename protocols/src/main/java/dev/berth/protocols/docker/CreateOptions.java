package dev.berth.protocols.docker;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.model.ContentSource;
import dev.berth.core.service.CreateVolume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Docker's {@code docker volume create -o KEY=VALUE} options, turned into a core create request.
 * Option names are matched without regard to case ({@code fsType}, {@code fstype}); an unknown
 * option is refused with the list of valid ones, never silently ignored, because a typo like
 * {@code -o sise=100G} would otherwise give a volume of the default size. Values are checked by
 * the core (sizes, filesystems, services, labels), which words the errors.
 */
final class CreateOptions {
    static final String LABEL_PREFIX = "label.";
    static final String VALID = "size (e.g. 10G), fsType (ext4 or xfs; alias newfstype), service (a Berth service), "
            + "fromSnapshot (a snapshot: <volume>@<snapshot>), fromVolume (a volume to copy), "
            + "label.<key>=<value> (repeatable)";

    private CreateOptions() {
    }

    static CreateVolume request(String name, Map<String, String> opts) {
        Map<String, String> fixed = new LinkedHashMap<>();
        Map<String, String> labels = new TreeMap<>();
        List<String> unknown = new ArrayList<>();
        for (var e : opts.entrySet()) {
            String key = e.getKey();
            String lower = key.toLowerCase(Locale.ROOT);
            String value = e.getValue();
            if (lower.startsWith(LABEL_PREFIX)) {
                String label = key.substring(LABEL_PREFIX.length());
                if (label.isEmpty()) {
                    throw new InvalidArgument("option " + key + " names no label", "write -o label.<key>=<value>");
                }
                if (labels.put(label, value) != null) {
                    throw new InvalidArgument("label " + label + " is given twice", "give each label once");
                }
                continue;
            }
            String canonical = switch (lower) {
                case "size" -> "size";
                case "fstype", "newfstype" -> "fsType";
                case "service" -> "service";
                case "fromsnapshot" -> "fromSnapshot";
                case "fromvolume" -> "fromVolume";
                default -> null;
            };
            if (canonical == null) {
                unknown.add(key);
                continue;
            }
            if (value.isBlank()) {
                throw new InvalidArgument("option " + key + " has no value", "write -o " + key + "=<value>, or leave it out for the default");
            }
            String before = fixed.putIfAbsent(canonical, value);
            if (before != null && !before.equals(value)) {
                throw new InvalidArgument("option " + canonical + " is given twice with different values ('" + before
                        + "' and '" + value + "')", "give it once (fsType and newfstype are the same option)");
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidArgument((unknown.size() == 1 ? "unknown option " : "unknown options ")
                    + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList()), "valid options: " + VALID);
        }
        if (fixed.containsKey("fromSnapshot") && fixed.containsKey("fromVolume")) {
            throw new InvalidArgument("options fromSnapshot and fromVolume are both given",
                    "start the volume from one snapshot (-o fromSnapshot=...) or one volume (-o fromVolume=...), not both");
        }
        ContentSource source = fixed.containsKey("fromSnapshot") ? ContentSource.snapshot(fixed.get("fromSnapshot"))
                : fixed.containsKey("fromVolume") ? ContentSource.volume(fixed.get("fromVolume")) : null;
        return new CreateVolume(name, fixed.get("service"), fixed.get("size"), fixed.get("fsType"), labels, source, null);
    }
}
