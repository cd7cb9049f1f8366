package dev.berth.app.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates requests that Berth must refuse, from one seed (so a failure can be replayed with
 * {@code -Dberth.fuzz.seed=N}). Every case is invalid by construction: at least one field breaks a
 * rule, or the volume it names does not exist. So after any number of them nothing may have been
 * created, attached or mounted.
 */
final class Hostile {
    /** One request: which socket, method, path, raw body (null: none), and why it must be refused. */
    record Case(boolean docker, String method, String path, String body, String why, boolean mayPass) {
        @Override
        public String toString() {
            String b = body == null ? "-" : body.length() > 160 ? body.substring(0, 160) + "…(" + body.length() + ")" : body;
            return (docker ? "docker " : "rest ") + method + " " + (path.length() > 160 ? path.substring(0, 160) + "…" : path)
                    + " body=" + b + " [" + why + "]";
        }
    }

    /** Names every protocol must refuse (Names.volume: no '/', NUL, "..", leading '-', ≤ 128 chars, not empty). */
    static final List<String> BAD_NAMES = List.of("", "/", "a/b", "../x", "..", "a..b", "-rf", "--help", "x\u0000y",
            "x\ny", "\r\n", "a".repeat(129), "é".repeat(200), "..%2F..", "/etc/passwd", "a/../../b", " ", "\t",
            "con\u0007trol", "x\u001b[31mred", ".", "-", "\u0000");
    static final List<String> BAD_SIZES = List.of("0", "-1", "10XB", "1e30", "0x10", "1G; rm -rf /", "99999999999999999999P",
            "", " ", "NaN", "-0", "1.5.5G", "100P", "9223372036854775807", "9223372036854775808K", "\u0000");
    static final List<String> BAD_FS = List.of("ntfs", "ext2", "", "EXT4;", "../ext4", "x fs", "-t", "zfs", "btrfs");
    static final List<String> BAD_SERVICES = List.of("nope", "../local", "", "local/", "-x", "a".repeat(300), "local\n");
    static final List<String> BAD_IDS = List.of("", "ZZ", "0".repeat(65), "../" + "0".repeat(30), "ABCDEF", "-1",
            "0a%2F0b", "%00", "g".repeat(32), "0".repeat(4096));
    static final List<String> BAD_REFS = List.of("", "a".repeat(5000), "x\u0000", "\n", "x\ny");
    static final List<String> GARBAGE = List.of("{not json", "[]", "null", "1", "\"str\"", "{", "}", "{\"name\":}",
            "{\"name\":\"a\"", "\u0000\u0001\u0002", "{\"name\":{\"$ne\":1}}", "{\"name\":[\"a\",\"b\"]}", "{\"name\":123}",
            "{\"name\":true}", "{\"Name\":null}", "{\"Name\":1}", "{\"Name\":[]}", "{\"Opts\":\"x\"}");
    static final List<String> METHODS = List.of("PATCH", "OPTIONS", "TRACE", "PUT", "DELETE", "GET", "HEAD", "CONNECT");

    private final Random rnd;
    private int serial;

    Hostile(Random rnd) {
        this.rnd = rnd;
    }

    Case next() {
        return switch (rnd.nextInt(12)) {
            case 0 -> restCreateBadField();
            case 1 -> restCreateBadName();
            case 2 -> restRawBody();
            case 3 -> restOnMissingOrBadName();
            case 4 -> restControl();
            case 5 -> restOddRoute();
            case 6 -> dockerCreate();
            case 7 -> dockerOnMissingOrBad();
            case 8 -> dockerRawBody();
            case 9 -> restDuplicateKeys();
            case 10 -> deepNesting(rnd.nextBoolean());
            default -> dockerOddRoute();
        };
    }

    // ---- REST ------------------------------------------------------------------------------------

    private Case restCreateBadName() {
        String name = pick(BAD_NAMES);
        return rest("POST", "/v1/volumes", "{\"name\":" + q(name) + "}", "bad name");
    }

    private Case restCreateBadField() {
        String name = freshName();
        return switch (rnd.nextInt(6)) {
            case 0 -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"size\":" + q(pick(BAD_SIZES)) + "}", "bad size");
            case 1 -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"fsType\":" + q(pick(BAD_FS)) + "}", "bad fs");
            case 2 -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"service\":" + q(pick(BAD_SERVICES)) + "}",
                    "bad service");
            case 3 -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"" + pick(List.of("mountPoint", "device",
                    "id", "backendId", "node", "Name", "opts", "__proto__")) + "\":\"/tmp/x\"}", "unknown field");
            case 4 -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"labels\":" + badLabels() + "}", "bad labels");
            default -> rest("POST", "/v1/volumes", "{\"name\":" + q(name) + ",\"size\":" + pick(List.of("1", "-5", "1e99",
                    "[]", "{}", "true")) + "}", "size of the wrong type");
        };
    }

    private Case restRawBody() {
        String body = rnd.nextInt(4) == 0 ? randomBytes(1 + rnd.nextInt(300)) : pick(GARBAGE);
        String path = pick(List.of("/v1/volumes", "/v1/volumes/" + freshName() + "/mount",
                "/v1/volumes/" + freshName() + "/unmount"));
        return rest("POST", path, body, "not a valid body");
    }

    private Case restOnMissingOrBadName() {
        boolean bad = rnd.nextBoolean();
        String name = bad ? pick(BAD_NAMES) : freshName();
        String enc = encode(name);
        if (enc.isEmpty()) {
            enc = "%20";
        }
        String query = switch (rnd.nextInt(4)) {
            case 0 -> "?service=" + encode(pick(BAD_SERVICES));
            case 1 -> "?force=" + encode(pick(List.of("yes", "1", "TRUE", "", "true;rm")));
            default -> "";
        };
        return switch (rnd.nextInt(7)) {
            case 0 -> rest("GET", "/v1/volumes/" + enc + query, null, bad ? "bad name" : "no such volume");
            case 1 -> rest("DELETE", "/v1/volumes/" + enc + query, null, bad ? "bad name" : "no such volume");
            case 2 -> rest("POST", "/v1/volumes/" + enc + "/attach" + query, "", bad ? "bad name" : "no such volume");
            case 3 -> rest("POST", "/v1/volumes/" + enc + "/detach" + query, "", bad ? "bad name" : "no such volume");
            case 4 -> rest("POST", "/v1/volumes/" + enc + "/mount" + query,
                    "{\"ref\":" + q(rnd.nextBoolean() ? pick(BAD_REFS) : "r1") + "}", "bad name, ref or no volume");
            case 5 -> rest("POST", "/v1/volumes/" + enc + "/unmount" + query, "{\"ref\":\"r1\"}", "bad name or no volume");
            default -> rest("GET", "/v1/volumes/" + enc + "/path" + query, null, "bad name or no volume");
        };
    }

    /** The node-to-controller routes (open on the root-only socket): bad ids, or ids of no volume. */
    private Case restControl() {
        String id = rnd.nextBoolean() ? pick(BAD_IDS) : hexId();
        String enc = encode(id);
        if (enc.isEmpty()) {
            enc = "%20";
        }
        String nv = "/v1/control/nodes/fuzz-node/volumes/" + enc;
        return switch (rnd.nextInt(8)) {
            case 0 -> rest("GET", "/v1/control/volumes/" + enc + "/claim", null, "bad or unknown id");
            case 1 -> rest("POST", "/v1/control/volumes/" + enc + "/claim", "{\"node\":\"fuzz-node\",\"explicit\":true}",
                    "claim of a bad or unknown id");
            case 2 -> rest("PUT", nv + "/attachment", "{\"volumeId\":" + q(id) + ",\"device\":\"/dev/sda\",\"block\":"
                    + rnd.nextBoolean() + ",\"mountPoint\":\"/tmp/victim\"}", "attachment of a bad or unknown id");
            case 3 -> rest("POST", nv + "/refs", "{\"ref\":\"r\"}", "ref of a bad or unknown id");
            case 4 -> rest("POST", nv + "/mounted", "{\"attachment\":{\"volumeId\":" + q(id) + ",\"device\":\"/dev/loop0\","
                    + "\"block\":true,\"mountPoint\":\"/\"},\"ref\":\"c1\",\"filesystem\":\"ext4\"}", "mounted of a bad id");
            case 5 -> rest("POST", "/v1/control/nodes/" + encode(pick(BAD_NAMES)) + "x/register",
                    "{\"id\":\"not-the-path\",\"address\":\"evil\",\"version\":\"\"}", "register with a mismatching or bad node");
            case 6 -> rest("POST", "/v1/control/resolve", "{\"name\":" + q(pick(BAD_NAMES)) + ",\"service\":null}",
                    "resolve of a bad name");
            default -> rest("POST", "/v1/control/volumes/" + enc + "/release", "{\"node\":" + q(pick(BAD_NAMES)) + "}",
                    "release with a bad node");
        };
    }

    private Case restOddRoute() {
        String path = pick(List.of("/v1/volumes", "/v1/services", "/v1/nodes", "/v1/../etc/passwd", "/v2/volumes",
                "/v1/volumes/" + freshName() + "/../../x", "/v1/tasks/" + encode(pick(BAD_IDS)) + "x", "/", "/v1/",
                "/v1/volumes/" + freshName() + "/snapshot", "/v1/control/nodes/a/state/x"));
        String method = pick(List.of("PATCH", "TRACE", "PUT", "DELETE", "POST"));
        return rest(method, path, rnd.nextBoolean() ? "{}" : null, "no such route");
    }

    /** {"name":"bad","name":"good"} must not create "good" (nor the other way round). */
    private Case restDuplicateKeys() {
        String good = freshName();
        String bad = pick(BAD_NAMES);
        boolean badFirst = rnd.nextBoolean();
        String body = badFirst ? "{\"name\":" + q(bad) + ",\"name\":" + q(good) + "}"
                : "{\"name\":" + q(good) + ",\"size\":\"1G\",\"size\":" + q(pick(BAD_SIZES)) + "}";
        return rest("POST", "/v1/volumes", body, "duplicate key");
    }

    private Case deepNesting(boolean docker) {
        int depth = 2000 + rnd.nextInt(20000);
        String body = "{\"name\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        return docker ? docker("/VolumeDriver.Create", body, "deep nesting")
                : rest("POST", "/v1/volumes", body, "deep nesting");
    }

    // ---- Docker ------------------------------------------------------------------------------------

    private Case dockerCreate() {
        String name = freshName();
        return switch (rnd.nextInt(5)) {
            case 0 -> docker("/VolumeDriver.Create", "{\"Name\":" + q(pick(BAD_NAMES)) + ",\"Opts\":{}}", "bad name");
            case 1 -> docker("/VolumeDriver.Create", "{\"Name\":" + q(name) + ",\"Opts\":{\"size\":" + q(pick(BAD_SIZES))
                    + "}}", "bad size");
            case 2 -> docker("/VolumeDriver.Create", "{\"Name\":" + q(name) + ",\"Opts\":{\"fsType\":" + q(pick(BAD_FS))
                    + "}}", "bad fs");
            case 3 -> docker("/VolumeDriver.Create", "{\"Name\":" + q(name) + ",\"Opts\":{" + q(pick(List.of("mountPoint",
                    "device", "o", "type", "pool", "../x", ""))) + ":\"/tmp/x\"}}", "unknown option");
            default -> docker("/VolumeDriver.Create", "{\"Name\":" + q(name) + ",\"Opts\":{\"service\":"
                    + q(pick(BAD_SERVICES)) + "}}", "bad service");
        };
    }

    private Case dockerOnMissingOrBad() {
        String name = rnd.nextBoolean() ? pick(BAD_NAMES) : freshName();
        String id = rnd.nextBoolean() ? pick(BAD_REFS) : "f".repeat(64);
        String call = pick(List.of("Mount", "Unmount", "Path", "Get", "Remove", "Mount", "Unmount"));
        String body = call.equals("Mount") || call.equals("Unmount")
                ? "{\"Name\":" + q(name) + ",\"ID\":" + q(id) + "}" : "{\"Name\":" + q(name) + "}";
        return docker("/VolumeDriver." + call, body, "bad name/ID or no such volume");
    }

    private Case dockerRawBody() {
        String body = rnd.nextInt(4) == 0 ? randomBytes(1 + rnd.nextInt(300)) : pick(GARBAGE);
        return docker("/VolumeDriver." + pick(List.of("Create", "Mount", "Unmount", "Remove", "Get", "Path")), body,
                "not a valid body");
    }

    private Case dockerOddRoute() {
        return new Case(true, pick(METHODS.subList(0, 5)), pick(List.of("/VolumeDriver.Create", "/Plugin.Activate",
                "/VolumeDriver.Snapshot", "/", "/VolumeDriver.../x", "/v1/volumes")), "{}", "no such plugin call", false);
    }

    // ---- pieces --------------------------------------------------------------------------------------

    private Case rest(String method, String path, String body, String why) {
        // A read changes nothing, so "no such thing" may also be an empty 2xx answer (e.g. no claim).
        return new Case(false, method, path, body, why, method.equals("GET"));
    }

    private Case docker(String path, String body, String why) {
        // Remove of an unknown name succeeds on purpose (idempotent, see DockerPluginApi).
        return new Case(true, "POST", path, body, why, path.equals("/VolumeDriver.Remove") && !why.startsWith("not"));
    }

    /** A valid name that no volume has: cases that use one break another rule (or target a missing volume). */
    private String freshName() {
        return "fz-" + (serial++);
    }

    private String hexId() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            b.append("0123456789abcdef".charAt(rnd.nextInt(16)));
        }
        return b.toString();
    }

    private String badLabels() {
        return switch (rnd.nextInt(4)) {
            case 0 -> "{\"\":\"v\"}";
            case 1 -> "{" + q("k".repeat(200)) + ":\"v\"}";
            case 2 -> {
                List<String> many = new ArrayList<>();
                for (int i = 0; i < 70; i++) {
                    many.add(q("k" + i) + ":\"v\"");
                }
                yield "{" + String.join(",", many) + "}";
            }
            default -> "{\"k\":" + q("v".repeat(2000)) + "}";
        };
    }

    private String randomBytes(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append((char) rnd.nextInt(rnd.nextBoolean() ? 0x80 : 0x3000));
        }
        return b.toString();
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    /** A JSON string literal (Jackson escapes NUL, newlines and quotes). */
    static String q(String s) {
        try {
            return dev.berth.protocols.http.Json.MAPPER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String encode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
