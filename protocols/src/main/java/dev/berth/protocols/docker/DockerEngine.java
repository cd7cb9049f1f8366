package dev.berth.protocols.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Unavailable;
import dev.berth.core.spi.ContainerRuntime;
import dev.berth.protocols.http.Futures;
import dev.berth.protocols.http.Json;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The Docker Engine API over its unix socket, for fencing: {@code GET /containers/json} (running
 * containers, each with its {@code Mounts[].Source}), then {@code POST /containers/{id}/kill}
 * (SIGKILL, the default signal) for each one with a mount at or under the volume's mount point.
 * Every call has its own deadline: a fencing node must never wait on a hung engine. An engine
 * that cannot be reached is {@link Unavailable}; a container that stopped meanwhile is skipped.
 */
public final class DockerEngine implements ContainerRuntime, AutoCloseable {
    /** Container ids as the engine writes them; anything else never reaches a request path. */
    private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(3);

    private final Path socket;
    private final String pluginName;
    private final Duration deadline;
    private final Vertx vertx;
    private final io.vertx.core.Context context;
    private final HttpClientAgent http;
    private final SocketAddress server;

    public DockerEngine(Path socket, Duration deadline) {
        this(socket, deadline, null);
    }

    /**
     * @param pluginName the name this host's engine knows Berth's volume plugin by (its socket's
     *                   file name without {@code .sock}), or null to match mounts by path only
     */
    public DockerEngine(Path socket, Duration deadline, String pluginName) {
        this.pluginName = pluginName;
        this.socket = Objects.requireNonNull(socket, "socket");
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive: " + deadline);
        }
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1)
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        this.context = vertx.getOrCreateContext();
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                .setConnectTimeout((int) deadline.toMillis()), new PoolOptions().setHttp1MaxSize(2));
        this.server = SocketAddress.domainSocketAddress(socket.toString());
    }

    @Override
    public List<String> killUsing(Path mountPoint, String volumeName) {
        Objects.requireNonNull(mountPoint, "mountPoint");
        Reply list = call(HttpMethod.GET, "/containers/json");
        if (list.status() != 200) {
            throw new BackendFailure("the Docker engine at " + socket + " answered GET /containers/json with "
                    + list.status() + ": " + list.body().strip(), "check the engine's log");
        }
        List<String> killed = new ArrayList<>();
        for (JsonNode c : json(list.body())) {
            String id = c.path("Id").asText("");
            if (!ID.matcher(id).matches() || !usesMount(c, mountPoint, volumeName)) {
                continue;
            }
            Reply kill = call(HttpMethod.POST, "/containers/" + id + "/kill?signal=KILL");
            if (kill.status() == 204) {
                killed.add(name(c) + " (" + id.substring(0, 12) + ")");
            } else if (kill.status() != 404 && kill.status() != 409) { // gone, or stopped meanwhile
                throw new BackendFailure("the Docker engine at " + socket + " did not kill container " + name(c) + " ("
                        + id.substring(0, 12) + "): " + kill.status() + " " + kill.body().strip(),
                        "stop it by hand: docker kill " + id.substring(0, 12));
            }
        }
        return List.copyOf(killed);
    }

    private boolean usesMount(JsonNode container, Path mountPoint, String volumeName) {
        for (JsonNode m : container.path("Mounts")) {
            String driver = m.path("Driver").asText("");
            if (volumeName != null && pluginName != null && m.path("Type").asText("").equals("volume")
                    && m.path("Name").asText("").equals(volumeName)
                    && (driver.equals(pluginName) || driver.startsWith(pluginName + ":"))) {
                return true; // the engine names a plugin's volume, with no source path
            }
            String source = m.path("Source").asText("");
            if (source.isEmpty()) {
                continue;
            }
            try {
                if (Path.of(source).normalize().startsWith(mountPoint.normalize())) {
                    return true;
                }
            } catch (InvalidPathException notAPath) {
                // a source this host cannot name is not under our mount point
            }
        }
        return false;
    }

    private static String name(JsonNode container) {
        String n = container.path("Names").path(0).asText("");
        return n.startsWith("/") ? n.substring(1) : n.isEmpty() ? "?" : n;
    }

    private JsonNode json(String body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n == null || !n.isArray()) {
                throw new IOException("not a JSON array");
            }
            return n;
        } catch (IOException e) {
            throw new BackendFailure("the Docker engine at " + socket + " answered GET /containers/json with no"
                    + " container list: " + e.getMessage(), "is " + socket + " a Docker engine?", e);
        }
    }

    private record Reply(int status, String body) {
    }

    private Reply call(HttpMethod method, String uri) {
        RequestOptions o = new RequestOptions().setMethod(method).setServer(server).setHost("localhost").setPort(80)
                .setURI(uri).setIdleTimeout(deadline.toMillis());
        try {
            return Futures.onContext(context, () -> {
                Future<Reply> reply = http.request(o)
                        .compose(req -> req.send(Buffer.buffer()))
                        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toString())));
                return reply.timeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
            });
        } catch (BerthException e) {
            throw new Unavailable("the Docker engine at " + socket + " cannot be asked (" + method + " " + uri
                    + "): " + e.getMessage(),
                    "start dockerd, or set docker.engineSocket to its socket (empty: this host runs no Docker)", e);
        }
    }

    @Override
    public void close() {
        try {
            Futures.get(vertx.close());
        } catch (BerthException e) {
            // closing a client that never connected: nothing to release
        }
    }
}
