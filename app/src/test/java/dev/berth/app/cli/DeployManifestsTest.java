package dev.berth.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.app.daemon.Wiring;
import dev.berth.core.model.FsType;
import dev.berth.core.service.CallerPaths;
import dev.berth.csi.CsiEndpoint;
import dev.berth.csi.CsiIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The example deployments under deploy/ against the code: plugin name, StorageClass parameters,
 * the CSI socket Berth listens on and the one the sidecars (and kubelet's registration) use, the
 * {@code berth serve} command lines (every flag and --set key exists, and with the ConfigMap's
 * config.yml they load as Berth loads them), topology against csi.zone, and docs/csi.md quoting
 * each file as it is. No root, nothing started.
 */
class DeployManifestsTest {
    private static final Path ROOT = repoRoot();
    private static final Path K8S = ROOT.resolve("deploy/kubernetes");
    private static final Path NOMAD = ROOT.resolve("deploy/nomad");
    private static final String SIDECARS = "registry.k8s.io/sig-storage/";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static List<JsonNode> docs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void read() throws IOException {
        docs = new ArrayList<>();
        for (Path f : files(K8S, ".yaml")) {
            try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(f))) {
                while (it.hasNext()) {
                    JsonNode d = it.next();
                    if (d == null || d.isNull() || d.isEmpty()) {
                        continue;
                    }
                    assertTrue(d.hasNonNull("apiVersion") && d.hasNonNull("kind"), f + ": a document without apiVersion/kind");
                    docs.add(d);
                }
            }
        }
    }

    @Test
    void theCsiDriverAndStorageClassNameBerthsPluginAndOnlyItsParameters() {
        JsonNode driver = one("CSIDriver");
        assertEquals(CsiIdentity.PLUGIN_NAME, driver.at("/metadata/name").asText());
        assertTrue(driver.at("/spec/attachRequired").asBoolean(), "ControllerPublish is Berth's claim: attachRequired");
        assertFalse(driver.at("/spec/podInfoOnMount").asBoolean(true));
        assertEquals("[\"Persistent\"]", driver.at("/spec/volumeLifecycleModes").toString());
        List<JsonNode> classes = all("StorageClass");
        assertFalse(classes.isEmpty(), "no StorageClass under deploy/kubernetes");
        for (JsonNode sc : classes) {
            assertEquals(CsiIdentity.PLUGIN_NAME, sc.path("provisioner").asText());
            sc.path("parameters").fieldNames().forEachRemaining(k -> assertTrue(
                    k.equals("service") || k.equals("fsType") || k.startsWith("csi.storage.k8s.io/"),
                    "StorageClass parameter " + k + " would make CreateVolume fail (INVALID_ARGUMENT)"));
            if (sc.at("/parameters/fsType").isTextual()) {
                FsType.parse(sc.at("/parameters/fsType").asText());
            }
            assertTrue(sc.path("allowVolumeExpansion").asBoolean(false), "Berth grows volumes online (EXPAND_VOLUME)");
        }
    }

    @Test
    void everyBerthPodServesItsRoleOnTheSocketItsSidecarsUse() throws IOException {
        Map<String, Config> byRole = new HashMap<>();
        for (JsonNode w : workloads()) {
            JsonNode pod = w.at("/spec/template/spec");
            String name = w.at("/metadata/name").asText();
            JsonNode berth = berthContainer(pod, name);
            String role = w.path("kind").asText().equals("DaemonSet") ? "agent" : "controller";
            String endpoint = env(berth, "CSI_ENDPOINT");
            assertNotNull(endpoint, name + ": the berth container sets no CSI_ENDPOINT");
            Config cfg = load(pod, berth, endpoint, name);
            assertEquals(role, cfg.get(Keys.ROLE), name);
            assertEquals(CsiEndpoint.parse(endpoint), dev.berth.app.config.CsiSettings.endpoint(cfg), name + ": Berth listens elsewhere");
            String socket = endpoint.substring("unix://".length());
            assertTrue(socket.endsWith(".sock"), endpoint);
            String socketDir = socket.substring(0, socket.lastIndexOf('/'));
            String volume = mountedAt(berth, socketDir);
            assertNotNull(volume, name + ": nothing is mounted at " + socketDir + " in the berth container");
            int sidecars = 0;
            for (JsonNode c : pod.path("containers")) {
                if (!c.path("image").asText().startsWith(SIDECARS)) {
                    continue;
                }
                sidecars++;
                String sidecar = name + "/" + c.path("name").asText();
                assertEquals(socket, flag(c, "--csi-address"), sidecar + ": --csi-address is not Berth's socket");
                assertEquals(volume, mountedAt(c, socketDir), sidecar + ": the socket's folder is another volume");
                if (c.path("image").asText().contains("csi-node-driver-registrar")) {
                    String host = hostPath(pod, volume);
                    assertEquals("/var/lib/kubelet/plugins/" + CsiIdentity.PLUGIN_NAME, host, sidecar);
                    assertEquals(host + socket.substring(socketDir.length()), flag(c, "--kubelet-registration-path"), sidecar);
                }
                if (c.path("image").asText().contains("csi-provisioner")) {
                    String gates = flag(c, "--feature-gates");
                    // Berth advertises accessibility constraints only with a zone, so the provisioner's
                    // default (Topology on) is right either way: no gate may switch it off.
                    assertTrue(gates == null || !gates.contains("Topology=false"), sidecar + ": Topology gate switched off");
                }
            }
            assertTrue(sidecars >= 2, name + ": the standard sidecars are missing");
            if (role.equals("agent")) {
                agentPod(pod, berth, cfg, name);
            }
            byRole.put(role, cfg);
        }
        assertEquals(Set.of("agent", "controller"), byRole.keySet());
        assertEquals(services(byRole.get("controller")), services(byRole.get("agent")),
                "agents must know the controllers' services, with the same pools");
    }

    /** Privileged, host PIDs, kubelet's folder and Berth's own shared both ways, /dev from the host. */
    private static void agentPod(JsonNode pod, JsonNode berth, Config cfg, String name) {
        assertTrue(pod.path("hostPID").asBoolean(), name + ": fencing needs the host's /proc");
        assertTrue(berth.at("/securityContext/privileged").asBoolean(), name);
        for (String dir : List.of("/var/lib/kubelet", cfg.get(Keys.MOUNT_ROOT))) {
            JsonNode m = mountCovering(berth, dir);
            assertNotNull(m, name + ": " + dir + " is not mounted from the host");
            assertEquals("Bidirectional", m.path("mountPropagation").asText(), name + ": " + dir);
            assertNotNull(hostPath(pod, m.path("name").asText()), name + ": " + dir + " is not a hostPath");
        }
        assertEquals("/dev", hostPath(pod, mountedAt(berth, "/dev")), name + ": /dev");
        // kubelet's staging path must not be inside Berth's own folders (CallerPaths refuses those).
        new CallerPaths(List.of(cfg.path(Keys.MOUNT_ROOT), cfg.path(Keys.STATE_DIR))).check("staging_target_path",
                "/var/lib/kubelet/plugins/kubernetes.io/csi/" + CsiIdentity.PLUGIN_NAME + "/0a1b/globalmount");
    }

    @Test
    void theNomadJobsAndVolumeUseThePluginAndWhatBerthAccepts() throws IOException {
        List<Path> hcl = files(NOMAD, ".hcl");
        assertFalse(hcl.isEmpty());
        Set<String> roles = new java.util.HashSet<>();
        for (Path f : hcl) {
            String text = Files.readString(f);
            if (text.contains("csi_plugin")) {
                String plugin = block(text, "csi_plugin");
                assertEquals(CsiIdentity.PLUGIN_NAME, value(plugin, "id"), f.toString());
                String type = value(plugin, "type");
                String endpoint = value(text, "CSI_ENDPOINT");
                assertEquals("unix://" + value(plugin, "mount_dir") + "/csi.sock", endpoint, f + ": Nomad looks for csi.sock in mount_dir");
                String config = heredoc(text);
                Path cfgFile = Files.writeString(tmp.resolve(f.getFileName() + ".yml"), config);
                List<String> args = strings(block(text, "args"));
                Config cfg = load(args, cfgFile, endpoint, f.toString());
                assertEquals(type.equals("node") ? "agent" : type.equals("controller") ? "controller" : "all-in-one",
                        cfg.get(Keys.ROLE), f.toString());
                roles.add(type);
            } else {
                assertEquals("csi", value(text, "type"), f.toString());
                assertEquals(CsiIdentity.PLUGIN_NAME, value(text, "plugin_id"), f.toString());
                Matcher m = Pattern.compile("access_mode\\s*=\\s*\"([^\"]+)\"").matcher(text);
                int modes = 0;
                while (m.find()) {
                    modes++;
                    assertTrue(Set.of("single-node-writer", "single-node-reader-only").contains(m.group(1)),
                            f + ": access mode " + m.group(1) + " is refused by Berth (one node at a time)");
                }
                assertTrue(modes > 0, f.toString());
                String params = block(text, "parameters");
                Matcher p = Pattern.compile("(?m)^\\s*([A-Za-z0-9_./-]+)\\s*=").matcher(params);
                while (p.find()) {
                    assertTrue(Set.of("service", "fsType").contains(p.group(1)), f + ": parameter " + p.group(1));
                }
                for (String flag : strings(block(text, "mount_flags"))) {
                    assertTrue(dev.berth.core.service.Access.FLAGS.contains(flag), f + ": mount flag " + flag);
                }
            }
        }
        assertEquals(Set.of("node", "controller"), roles);
    }

    @Test
    void docsCsiQuotesEveryDeployFileAsItIs() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/csi.md"));
        for (Path f : Stream.concat(files(K8S, ".yaml").stream(), files(NOMAD, ".hcl").stream()).toList()) {
            assertTrue(doc.contains(Files.readString(f).strip()), "docs/csi.md does not quote " + ROOT.relativize(f)
                    + " as it is: copy the file into its code block again");
        }
    }

    // --- helpers -------------------------------------------------------------------------------

    private Config load(JsonNode pod, JsonNode berth, String endpoint, String name) throws IOException {
        List<String> args = new ArrayList<>();
        berth.path("args").forEach(a -> args.add(a.asText()));
        String file = null;
        for (String a : args) {
            if (a.startsWith("--config=")) {
                file = a.substring("--config=".length());
            }
        }
        assertNotNull(file, name + ": berth serve without --config");
        JsonNode m = mountedAtNode(berth, file);
        assertNotNull(m, name + ": nothing is mounted at " + file);
        String configMap = null;
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(m.path("name").asText())) {
                configMap = v.at("/configMap/name").asText();
            }
        }
        JsonNode cm = null;
        for (JsonNode d : all("ConfigMap")) {
            if (d.at("/metadata/name").asText().equals(configMap)) {
                cm = d;
            }
        }
        assertNotNull(cm, name + ": no ConfigMap " + configMap);
        Path cfgFile = Files.writeString(tmp.resolve(name + ".yml"), cm.at("/data/" + m.path("subPath").asText()).asText());
        String command = berth.path("command").get(0).asText();
        assertTrue(command.endsWith("/berth"), name + ": " + command);
        return load(args, cfgFile, endpoint, name);
    }

    /** Parses the command line as `berth serve` does and loads the config with it, as Berth would. */
    private static Config load(List<String> args, Path cfgFile, String endpoint, String name) {
        assertEquals("serve", args.getFirst(), name);
        List<String> rest = new ArrayList<>();
        for (String a : args.subList(1, args.size())) {
            // $(NODE_NAME) (Kubernetes) and ${node.unique.name} (Nomad) are filled in by the orchestrator.
            String filled = a.replaceAll("\\$\\([A-Z_]+\\)|\\$\\{[a-z.]+}", "node-1");
            rest.add(filled.startsWith("--config=") ? "--config=" + cfgFile : filled);
        }
        ServeCommand serve = new ServeCommand();
        try {
            new CommandLine(serve).parseArgs(rest.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            fail(name + ": berth serve refuses its arguments: " + e.getMessage());
        }
        for (String key : serve.flags().keySet()) {
            assertTrue(Keys.byName().containsKey(key), name + ": no config key " + key);
        }
        return Wiring.configLoader().load(cfgFile, Map.of("CSI_ENDPOINT", endpoint), serve.flags());
    }

    private static List<JsonNode> workloads() {
        List<JsonNode> w = new ArrayList<>(all("DaemonSet"));
        w.addAll(all("Deployment"));
        return w;
    }

    private static JsonNode berthContainer(JsonNode pod, String name) {
        for (JsonNode c : pod.path("containers")) {
            if (c.path("name").asText().equals("berth")) {
                return c;
            }
        }
        throw new AssertionError(name + ": no container named berth");
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        return null;
    }

    private static String flag(JsonNode container, String flag) {
        for (JsonNode a : container.path("args")) {
            if (a.asText().startsWith(flag + "=")) {
                return a.asText().substring(flag.length() + 1);
            }
        }
        return null;
    }

    private static String mountedAt(JsonNode container, String path) {
        JsonNode m = mountedAtNode(container, path);
        return m == null ? null : m.path("name").asText();
    }

    private static JsonNode mountedAtNode(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(path)) {
                return m;
            }
        }
        return null;
    }

    private static JsonNode mountCovering(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (Path.of(path).startsWith(Path.of(m.path("mountPath").asText()))) {
                return m;
            }
        }
        return null;
    }

    private static String hostPath(JsonNode pod, String volume) {
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(volume) && v.has("hostPath")) {
                return v.at("/hostPath/path").asText();
            }
        }
        return null;
    }

    private static List<String> services(Config c) {
        return c.services().stream().map(s -> s.name() + " " + s.driver() + " " + new java.util.TreeMap<>(s.options())).sorted().toList();
    }

    private static JsonNode one(String kind) {
        List<JsonNode> found = all(kind);
        assertEquals(1, found.size(), "documents of kind " + kind);
        return found.getFirst();
    }

    private static List<JsonNode> all(String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    /** The text between {@code name ... {} or {@code name = [} and its matching bracket. */
    private static String block(String text, String name) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(name) + "\\s*(=\\s*)?[\\[{]").matcher(text);
        assertTrue(m.find(), "no " + name + " block");
        int depth = 0;
        for (int i = m.end() - 1; i < text.length(); i++) {
            char c = text.charAt(i);
            depth += c == '[' || c == '{' ? 1 : c == ']' || c == '}' ? -1 : 0;
            if (depth == 0) {
                return text.substring(m.end(), i);
            }
        }
        throw new AssertionError("unclosed " + name + " block");
    }

    private static String value(String text, String key) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + "\\s*=\\s*\"([^\"]*)\"").matcher(text);
        assertTrue(m.find(), "no " + key + " = \"…\"");
        return m.group(1);
    }

    private static List<String> strings(String list) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(list);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String heredoc(String text) {
        Matcher m = Pattern.compile("<<EOH\\n(.*?)\\nEOH", Pattern.DOTALL).matcher(text);
        assertTrue(m.find(), "no template <<EOH … EOH");
        return m.group(1) + "\n";
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("deploy/kubernetes"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no deploy/kubernetes above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
