package dev.berth.app.daemon;

import dev.berth.app.config.Config;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.protocols.http.Futures;
import dev.berth.protocols.http.HttpGuard;
import dev.berth.protocols.http.HttpLimits;
import dev.berth.protocols.rest.Access;
import dev.berth.protocols.rest.RestApi;
import dev.berth.protocols.rest.RestErrors;
import dev.berth.protocols.rest.security.AuthConfig;
import dev.berth.protocols.rest.security.AuthHandler;
import dev.berth.protocols.rest.security.SubjectRules;
import dev.berth.protocols.rest.security.TlsMaterial;
import dev.berth.protocols.rest.security.TokenAccess;
import dev.berth.protocols.rest.security.TokenIssuer;
import dev.berth.protocols.rest.security.TokenVerifier;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The controller's REST API on TCP: TLS (a generated self-signed certificate unless one is
 * configured) and bearer tokens by default; either can be switched off only explicitly, with a
 * warning. Built in two steps because the routes need its access rules before it can listen.
 */
final class TcpApi {
    private static final Logger LOG = Logger.getLogger(TcpApi.class.getName());
    private final Config config;
    private final InetSocketAddress listen;
    private final TokenVerifier verifier;
    private final List<String> notes = new ArrayList<>();

    private TcpApi(Config config, InetSocketAddress listen) {
        this.config = config;
        this.listen = listen;
        this.verifier = new TokenVerifier(authConfig(), Clock.systemUTC(), config.duration(Keys.AUTH_MAX_TOKEN_TTL));
    }

    /** The TCP API of this role, or null when it is off (all-in-one without api.listen, agents). */
    static TcpApi prepare(Config config) {
        String listen = config.get(Keys.API_LISTEN);
        if (listen.isEmpty()) {
            if (!config.get(Keys.ROLE).equals("controller")) {
                return null;
            }
            listen = "0.0.0.0:7979";
        }
        return new TcpApi(config, Config.hostPort(Keys.API_LISTEN.name(), listen));
    }

    private AuthConfig authConfig() {
        if (!config.bool(Keys.AUTH_ENABLED)) {
            warn("token authentication is OFF (auth.enabled=false): anyone who reaches " + listen.getHostString()
                    + ":" + listen.getPort() + " controls every volume");
            return AuthConfig.disabled();
        }
        AuthConfig auth;
        if (!config.get(Keys.AUTH_PUBLIC_KEY).isEmpty()) {
            auth = AuthConfig.publicKey(config.path(Keys.AUTH_PUBLIC_KEY));
            notes.add("tokens: RS256/ES256, verified with " + config.get(Keys.AUTH_PUBLIC_KEY));
        } else {
            Path key = config.get(Keys.AUTH_KEY).isEmpty() ? config.path(Keys.STATE_DIR).resolve("auth/hs256.key")
                    : config.path(Keys.AUTH_KEY);
            TokenIssuer.ensureHs256Key(key);
            auth = AuthConfig.hs256(key);
            notes.add("tokens: HS256 with key " + key + " (make one: berth token new --subject NAME --key " + key
                    + "; for an agent: --node ID)");
        }
        auth = auth.withGlobal(new SubjectRules(config.list(Keys.AUTH_ALLOW), config.list(Keys.AUTH_DENY)));
        for (ServiceConfig s : config.services()) {
            if (!s.allow().isEmpty() || !s.deny().isEmpty()) {
                auth = auth.withService(s.name(), new SubjectRules(s.allow(), s.deny()));
            }
        }
        return auth;
    }

    /** Per-service rules and node identity of the caller's token (no-op when tokens are off). */
    Access access() {
        return new TokenAccess(verifier);
    }

    /** Listens with {@code limits}; returns what to close on stop. Notes tell the address, fingerprint and key. */
    AutoCloseable start(Vertx vertx, RestApi api, HttpLimits limits) {
        HttpGuard guard = new HttpGuard(listen.getHostString() + ":" + listen.getPort(), limits, RestErrors::send);
        HttpServerOptions options = guard.options(new HttpServerOptions().setHost(listen.getHostString())
                .setPort(listen.getPort()).setMaxInitialLineLength(RestApi.MAX_LINE));
        String scheme = "https";
        if (config.bool(Keys.API_TLS)) {
            TlsMaterial tls = config.get(Keys.API_CERT).isEmpty()
                    ? TlsMaterial.loadOrCreate(config.path(Keys.STATE_DIR).resolve("tls"), subjectAltNames())
                    : TlsMaterial.load(config.path(Keys.API_CERT), config.path(Keys.API_KEY));
            options = tls.serverOptions(options);
            notes.add("TLS certificate " + tls.certFile() + (tls.generated() ? " (generated now)" : "")
                    + ", fingerprint " + tls.fingerprint());
        } else {
            scheme = "http";
            warn("TLS is OFF on the TCP API (api.tls=false): tokens and data cross the network unencrypted");
        }
        HttpServer server = guard.attach(vertx, vertx.createHttpServer(options),
                api.router(vertx, verifier.enabled() ? new AuthHandler(verifier) : null));
        HttpServer bound = Futures.get(server.listen());
        notes.addFirst("REST API on " + scheme + "://" + listen.getHostString() + ":" + bound.actualPort());
        return () -> Futures.get(bound.close());
    }

    List<String> notes() {
        return notes;
    }

    private List<String> subjectAltNames() {
        List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1", Wiring.hostName()));
        String host = listen.getHostString();
        if (!host.equals("0.0.0.0") && !host.equals("::") && !names.contains(host)) {
            names.add(host);
        }
        return names;
    }

    private void warn(String message) {
        LOG.warning(message);
        notes.add("WARNING: " + message);
    }
}
