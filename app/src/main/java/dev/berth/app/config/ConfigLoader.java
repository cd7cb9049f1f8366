package dev.berth.app.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.berth.core.error.InvalidArgument;
import dev.berth.host.SyscallMode;
import dev.berth.core.io.BoundedFiles;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Names;
import dev.berth.core.model.Size;
import dev.berth.protocols.rest.security.BearerToken;
import dev.berth.protocols.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Loads the configuration with the precedence flag > env > file > default, and refuses anything it
 * does not understand: unknown keys (with the closest valid key), bad values, unknown drivers or
 * driver options.
 */
public final class ConfigLoader {
    public static final Path DEFAULT_FILE = Path.of("/etc/berth/config.yml");
    static final int MAX_SOCKET_PATH = 107;
    /** Made on first use: a CLI call without a config file needs no YAML parser (start-up time). */
    private static final class Yaml {
        // A key given twice is an error, not "the last one wins": the operator meant one of them.
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }
    private final Map<String, Set<String>> driverOptions;
    private final Map<String, Set<String>> requiredOptions;

    /** @param driverOptions every known driver kind with the option names it accepts */
    public ConfigLoader(Map<String, Set<String>> driverOptions) {
        this(driverOptions, Map.of());
    }

    /** @param requiredOptions driver kinds with the options a declared service must set */
    public ConfigLoader(Map<String, Set<String>> driverOptions, Map<String, Set<String>> requiredOptions) {
        this.driverOptions = Map.copyOf(driverOptions);
        this.requiredOptions = Map.copyOf(requiredOptions);
    }

    /**
     * @param explicitFile the --config / BERTH_CONFIG file (must exist), or null for the default
     *                     file, which may be absent
     */
    /** The endpoint variable of the CSI specification; read for csi.socket after BERTH_CSI_SOCKET. */
    public static final String CSI_ENDPOINT = "CSI_ENDPOINT";

    public Config load(Path explicitFile, Map<String, String> env, Map<String, String> flags) {
        Path file = explicitFile != null ? explicitFile
                : env.containsKey("BERTH_CONFIG") ? Path.of(env.get("BERTH_CONFIG")) : null;
        boolean mustExist = file != null;
        if (file == null) {
            file = DEFAULT_FILE;
        }
        Map<String, String> fromFile = new LinkedHashMap<>();
        List<ServiceConfig> services = new ArrayList<>();
        // Anything at the path is read, so a FIFO or a device is refused (BoundedFiles) rather than ignored.
        boolean haveFile = Files.exists(file);
        if (mustExist && !haveFile) {
            throw new InvalidArgument("config file " + file + " does not exist",
                    "create it (see the configuration reference in README.md) or leave --config out");
        }
        if (haveFile) {
            readFile(file, fromFile, services);
        }
        Map<String, Key> keys = Keys.byName();
        for (String k : flags.keySet()) {
            requireKnown(k, keys, "flag --set");
        }
        Map<String, Setting> settings = new LinkedHashMap<>();
        for (Key k : Keys.ALL) {
            Setting s;
            if (flags.containsKey(k.name())) {
                s = new Setting(k.name(), flags.get(k.name()), "flag");
            } else if (env.containsKey(k.env())) {
                s = new Setting(k.name(), env.get(k.env()), "env " + k.env());
            } else if (k == Keys.CSI_SOCKET && env.containsKey(CSI_ENDPOINT)) {
                // What every CSI deployment sets (the sidecars' --csi-address points at the same socket).
                s = new Setting(k.name(), env.get(CSI_ENDPOINT), "env " + CSI_ENDPOINT);
            } else if (fromFile.containsKey(k.name())) {
                s = new Setting(k.name(), fromFile.get(k.name()), "file " + file);
            } else {
                s = new Setting(k.name(), k.defaultValue(), "default");
            }
            settings.put(k.name(), s);
        }
        if (services.isEmpty()) {
            services.add(new ServiceConfig("local", "loop", Map.of("pool", Keys.DEFAULT_POOL), List.of(), List.of(), "default"));
        }
        Config config = new Config(settings, services, haveFile ? file : null);
        validate(config);
        return config;
    }

    private void readFile(Path file, Map<String, String> out, List<ServiceConfig> services) {
        JsonNode root;
        try {
            root = Yaml.MAPPER.readTree(new String(BoundedFiles.read(file, "config file", BoundedFiles.CONFIG_LIMIT), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            Json.duplicate(e).ifPresent(key -> {
                throw new InvalidArgument("config file " + file + " has the key '" + key + "' twice in one mapping" + line,
                        "keep one of them: Berth does not guess which one you meant");
            });
            throw new InvalidArgument("config file " + file + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"),
                    "fix the YAML syntax");
        } catch (IOException e) {
            throw new InvalidArgument("cannot read config file " + file + ": " + e.getMessage(), "check its permissions");
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        if (!root.isObject()) {
            throw new InvalidArgument("config file " + file + " must be a YAML mapping of keys", "see README.md");
        }
        Map<String, Key> keys = Keys.byName();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("services")) {
                readServices(file, e.getValue(), services);
            } else {
                flatten(e.getKey(), e.getValue(), out, keys, file);
            }
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out, Map<String, Key> keys, Path file) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                var e = it.next();
                flatten(prefix + "." + e.getKey(), e.getValue(), out, keys, file);
            }
            return;
        }
        requireKnown(prefix, keys, "config file " + file);
        if (!node.isValueNode()) {
            throw new InvalidArgument("config key " + prefix + " in " + file + " must be a single value", "");
        }
        if (out.containsKey(prefix)) {
            // e.g. "api.listen: …" and "api: {listen: …}" in the same file
            throw new InvalidArgument("config file " + file + " sets " + prefix + " twice (once nested, once as a dotted key)",
                    "keep one of them: Berth does not guess which one you meant");
        }
        out.put(prefix, node.asText());
    }

    private static void requireKnown(String key, Map<String, Key> keys, String where) {
        if (!keys.containsKey(key)) {
            List<String> valid = new ArrayList<>(keys.keySet());
            valid.add("services");
            throw new InvalidArgument("unknown config key '" + key + "' in " + where,
                    "did you mean '" + Suggest.closest(key, valid) + "'? Valid keys: " + String.join(", ", valid));
        }
    }

    private void readServices(Path file, JsonNode node, List<ServiceConfig> services) {
        if (!node.isObject() || node.isEmpty()) {
            throw new InvalidArgument("'services' in " + file + " must map service names to {driver, options}",
                    "e.g. services: {local: {driver: loop, options: {pool: /var/lib/berth/pool}}}");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            String name = Names.service(e.getKey());
            JsonNode svc = e.getValue();
            for (Iterator<String> f = svc.fieldNames(); f.hasNext(); ) {
                String field = f.next();
                if (!SERVICE_FIELDS.contains(field)) {
                    throw new InvalidArgument("unknown key '" + field + "' in service " + name + " in " + file,
                            "did you mean '" + Suggest.closest(field, SERVICE_FIELDS) + "'?");
                }
            }
            Map<String, String> options = new TreeMap<>();
            JsonNode opts = svc.path("options");
            if (!opts.isMissingNode() && !opts.isNull()) {
                if (!opts.isObject()) {
                    throw new InvalidArgument("options of service " + name + " must be a mapping", "");
                }
                opts.fields().forEachRemaining(o -> options.put(o.getKey(), o.getValue().asText()));
            }
            services.add(new ServiceConfig(name, svc.path("driver").asText(""), options, subjects(svc.path("allow")),
                    subjects(svc.path("deny")), "file " + file));
        }
    }

    private static final List<String> SERVICE_FIELDS = List.of("driver", "options", "allow", "deny");
    private static final List<String> ROLES = List.of("all-in-one", "controller", "agent");

    /** A YAML list of subjects, or one comma-separated string. */
    private static List<String> subjects(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText().strip()));
        } else if (!node.isMissingNode() && !node.isNull()) {
            out.addAll(Config.list(node.asText()));
        }
        return out;
    }

    /** store: embedded or a strict etcd:// / etcds:// member list; the etcd keys' paths and deadline. */
    private static void validateStore(Config c) {
        if (!c.get(Keys.STORE).equals("embedded")) {
            dev.berth.store.etcd.EtcdSettings.parseEndpoints(c.get(Keys.STORE));
        }
        for (Key k : List.of(Keys.STORE_ETCD_CA, Keys.STORE_ETCD_CERT, Keys.STORE_ETCD_KEY, Keys.STORE_ETCD_PASSWORD_FILE)) {
            String v = c.get(k);
            if (!v.isEmpty() && (!parsePath(k, v).isAbsolute() || v.contains(".."))) {
                throw new InvalidArgument(k.name() + " = '" + v + "' must be an absolute path", "use an absolute path");
            }
        }
        Config.parseDuration(Keys.STORE_ETCD_TIMEOUT.name(), c.get(Keys.STORE_ETCD_TIMEOUT));
    }

    private void validate(Config c) {
        if (!ROLES.contains(c.get(Keys.ROLE))) {
            throw new InvalidArgument("role '" + c.get(Keys.ROLE) + "' is not a role", "use one of: " + ROLES);
        }
        for (Key k : List.of(Keys.API_CERT, Keys.API_KEY, Keys.AUTH_KEY, Keys.AUTH_PUBLIC_KEY, Keys.CONTROLLER_CA,
                Keys.KNOWN_HOSTS, Keys.CONTROLLER_TOKEN_FILE)) {
            String v = c.get(k);
            if (!v.isEmpty() && (!parsePath(k, v).isAbsolute() || v.contains(".."))) {
                throw new InvalidArgument(k.name() + " = '" + v + "' must be an absolute path", "use an absolute path");
            }
        }
        if (!c.get(Keys.API_LISTEN).isEmpty()) {
            Config.hostPort(Keys.API_LISTEN.name(), c.get(Keys.API_LISTEN));
        }
        Config.parseDuration(Keys.API_TASK_WAIT.name(), c.get(Keys.API_TASK_WAIT));
        for (Key k : List.of(Keys.AUTH_MAX_TOKEN_TTL, Keys.HTTP_HEADER_TIMEOUT, Keys.HTTP_IDLE_TIMEOUT)) {
            if (c.duration(k).isZero()) {
                throw new InvalidArgument(k.name() + " = '" + c.get(k) + "' must be longer than 0",
                        "use e.g. " + k.defaultValue());
            }
        }
        c.count(Keys.HTTP_MAX_CONNECTIONS);
        SyscallMode.parse(c.get(Keys.HOST_SYSCALLS)); // at load, so `berth env` refuses it too
        CsiSettings.validate(c);
        validateStore(c);
        if (c.get(Keys.ROLE).equals("agent")) {
            String url = c.get(Keys.CONTROLLER);
            if (url.isEmpty()) {
                throw new InvalidArgument("an agent needs the controller's address",
                        "pass --controller https://HOST:7979 (key controller.url)");
            }
            Config.controllerUris(url);
        }
        if (!c.get(Keys.CONTROLLER_TOKEN).isEmpty() && !c.get(Keys.CONTROLLER_TOKEN_FILE).isEmpty()) {
            throw new InvalidArgument("both controller.token (" + c.settings().get(Keys.CONTROLLER_TOKEN.name()).source()
                    + ") and controller.tokenFile (" + c.settings().get(Keys.CONTROLLER_TOKEN_FILE.name()).source()
                    + ") are set", "keep only controller.tokenFile: a token in a file stays off command lines");
        }
        for (Key k : List.of(Keys.STATE_DIR, Keys.SOCKET, Keys.MOUNT_ROOT, Keys.DOCKER_SOCKET)) {
            String v = c.get(k);
            Path p = parsePath(k, v);
            if (!p.isAbsolute() || !p.normalize().equals(p) || v.contains("..")) {
                throw new InvalidArgument(k.name() + " = '" + v + "' (" + c.settings().get(k.name()).source()
                        + ") must be an absolute, normalized path", "use a path like " + k.defaultValue());
            }
            // The kernel's sockaddr_un holds 108 bytes with the closing NUL; a longer path fails at bind or connect.
            int bytes = v.getBytes(StandardCharsets.UTF_8).length;
            if ((k == Keys.SOCKET || k == Keys.DOCKER_SOCKET) && bytes > MAX_SOCKET_PATH) {
                throw new InvalidArgument(k.name() + " = '" + v + "' (" + c.settings().get(k.name()).source() + ") is "
                        + bytes + " bytes long; a unix socket path has at most " + MAX_SOCKET_PATH,
                        "use a shorter path like " + k.defaultValue());
            }
        }
        if (!c.get(Keys.NODE).isEmpty()) {
            Names.node(c.get(Keys.NODE));
        }
        long defaultSize = Size.parse(c.get(Keys.DEFAULT_SIZE));
        FsType defaultFs = FsType.parse(c.get(Keys.DEFAULT_FS));
        if (defaultSize < defaultFs.minBytes()) {
            throw new InvalidArgument(Keys.DEFAULT_SIZE.name() + " = " + c.get(Keys.DEFAULT_SIZE) + " is too small for "
                    + Keys.DEFAULT_FS.name() + " = " + defaultFs + ", which needs at least "
                    + Size.format(defaultFs.minBytes()), "raise " + Keys.DEFAULT_SIZE.name() + " or use ext4");
        }
        Config.parseDuration(Keys.LEASE_TTL.name(), c.get(Keys.LEASE_TTL));
        if (c.duration(Keys.LEASE_TTL).toMillis() < 1000) {
            throw new InvalidArgument("leaseTtl must be at least 1s", "use e.g. 5s");
        }
        Config.parseDuration(Keys.FENCING_GRACE.name(), c.get(Keys.FENCING_GRACE));
        if (c.duration(Keys.FENCING_GRACE).toMillis() < 1000) {
            // etcd extends every lease by one election timeout (1 s by default) on a leader change.
            throw new InvalidArgument("fencing.grace must be at least 1s: a store's leader change can extend a lease "
                    + "by about that much, and a takeover before then could overlap the old holder", "use e.g. 2s");
        }
        Config.parseDuration(Keys.FENCING_TAKEOVER_WAIT.name(), c.get(Keys.FENCING_TAKEOVER_WAIT));
        if (!c.get(Keys.FENCING_MARGIN).equals("auto")) {
            java.time.Duration margin = Config.parseDuration(Keys.FENCING_MARGIN.name(), c.get(Keys.FENCING_MARGIN));
            if (margin.compareTo(c.duration(Keys.LEASE_TTL).dividedBy(2)) > 0) {
                throw new InvalidArgument("fencing.margin " + c.get(Keys.FENCING_MARGIN) + " is more than half of leaseTtl "
                        + c.get(Keys.LEASE_TTL) + ": the node would fence itself between two renewals",
                        "use auto, or a margin below leaseTtl/2");
            }
        }
        for (Key k : List.of(Keys.DOCKER_ENABLED, Keys.API_TLS, Keys.AUTH_ENABLED)) {
            String v = c.get(k);
            if (!v.equals("true") && !v.equals("false")) {
                throw new InvalidArgument(k.name() + " = '" + v + "' is not true or false", "use true or false");
            }
        }
        boolean defaultFound = false;
        for (ServiceConfig s : c.services()) {
            Set<String> opts = driverOptions.get(s.driver());
            if (opts == null) {
                throw new InvalidArgument("service " + s.name() + " uses unknown driver '" + s.driver() + "'",
                        "use one of: " + String.join(", ", new TreeMap<>(driverOptions).keySet()));
            }
            for (String o : s.options().keySet()) {
                if (!opts.contains(o)) {
                    throw new InvalidArgument("unknown option '" + o + "' for the " + s.driver() + " driver of service "
                            + s.name(), "valid options: " + String.join(", ", opts));
                }
            }
            for (String o : new TreeSet<>(requiredOptions.getOrDefault(s.driver(), Set.of()))) {
                if (!s.options().containsKey(o)) {
                    throw new InvalidArgument("service " + s.name() + " (" + s.source() + ") uses the " + s.driver()
                            + " driver without options." + o + ": Berth does not guess where its volumes' data goes",
                            "set services." + s.name() + ".options." + o + " to a folder"
                                    + (o.equals("pool") ? ", e.g. " + Keys.DEFAULT_POOL
                                    + " (the default service's pool when the config has no services)" : ""));
                }
            }
            defaultFound |= s.name().equals(c.get(Keys.DEFAULT_SERVICE));
        }
        if (!defaultFound) {
            throw new InvalidArgument("volumes.defaultService = '" + c.get(Keys.DEFAULT_SERVICE)
                    + "' is not a configured service", "configure it under services, or name one of: "
                    + c.services().stream().map(ServiceConfig::name).toList());
        }
        if (!c.get(Keys.CONTROLLER_TOKEN).isEmpty()) {
            BearerToken.check(c.get(Keys.CONTROLLER_TOKEN), "in controller.token ("
                    + c.settings().get(Keys.CONTROLLER_TOKEN.name()).source() + ")");
        }
        FolderRules.check(c);
    }

    /** A path from the configuration; a NUL (possible in YAML) is a config error, not a raw exception. */
    static Path parsePath(Key k, String v) {
        try {
            return Path.of(v);
        } catch (InvalidPathException e) {
            throw new InvalidArgument(k.name() + " = '" + v.replace("\0", "\\0") + "' is not a valid path: " + e.getReason(),
                    "use a path like " + (k.defaultValue().isEmpty() ? "/etc/berth/file" : k.defaultValue()));
        }
    }
}
