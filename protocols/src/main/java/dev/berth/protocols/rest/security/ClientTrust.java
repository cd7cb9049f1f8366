package dev.berth.protocols.rest.security;

import dev.berth.core.error.BerthException;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import io.vertx.core.http.HttpClientOptions;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How a client (CLI, agent) trusts a Berth server over TLS — exactly one of:
 * <ul>
 * <li>{@link CaFile}: normal PKIX validation against a CA (or the server's own certificate) in a PEM
 *     file, with hostname verification;</li>
 * <li>{@link Pinned}: only a server whose certificate has this fingerprint; no hostname check;</li>
 * <li>{@link TrustOnFirstUse}: the first certificate seen for host:port is recorded in a
 *     known_hosts file, later connections must present the same one (like SSH).</li>
 * </ul>
 * Each mode yields Vert.x {@link HttpClientOptions} for one server URI. Plain {@code http://} is
 * refused unless explicitly allowed.
 */
public sealed interface ClientTrust permits ClientTrust.CaFile, ClientTrust.Pinned, ClientTrust.TrustOnFirstUse {
    /** The port of a Berth server URI without one (the controller's default TCP port). */
    int DEFAULT_PORT = 7979;

    /** Trust what the CA certificates in {@code pem} issued, for the host name the client uses. */
    record CaFile(Path pem) implements ClientTrust {
        @Override
        public X509ExtendedTrustManager trustManager(String hostPort) {
            return new CaTrustManager(pem, hostPort);
        }

        @Override
        public boolean verifiesHostname() {
            return true;
        }
    }

    /** Trust exactly one certificate, by fingerprint (canonical {@code sha256:…}, see {@link Fingerprints}). */
    record Pinned(String fingerprint) implements ClientTrust {
        public Pinned {
            fingerprint = Fingerprints.parse(fingerprint);
        }

        @Override
        public X509ExtendedTrustManager trustManager(String hostPort) {
            return new FingerprintTrustManager(presented -> {
                if (!presented.equals(fingerprint)) {
                    throw new TrustRefused(new Unauthenticated("the server at " + hostPort + " presented certificate "
                            + presented + ", not the pinned " + fingerprint,
                            "compare with the fingerprint the controller printed at start; if its certificate was "
                                    + "replaced on purpose, pin the new one: --fingerprint " + presented));
                }
            });
        }

        @Override
        public boolean verifiesHostname() {
            return false;
        }
    }

    /**
     * Trust on first use: an unknown host:port is accepted, recorded in {@code knownHosts} and
     * announced once on {@code notices}; a known one must present a recorded fingerprint.
     */
    record TrustOnFirstUse(Path knownHosts, PrintStream notices) implements ClientTrust {
        @Override
        public X509ExtendedTrustManager trustManager(String hostPort) {
            KnownHosts hosts = new KnownHosts(knownHosts);
            return new FingerprintTrustManager(presented -> {
                List<String> recorded;
                try {
                    recorded = hosts.lookup(hostPort);
                    if (recorded.isEmpty()) {
                        if (hosts.recordIfAbsent(hostPort, presented)) {
                            notices.println("berth: trusting " + hostPort + " on first use: certificate " + presented
                                    + ", recorded in " + knownHosts
                                    + " (compare it with the fingerprint the controller printed at start)");
                            notices.flush();
                            return;
                        }
                        recorded = hosts.lookup(hostPort); // another connection recorded it meanwhile
                    }
                } catch (BerthException e) {
                    throw new TrustRefused(e);
                }
                if (!recorded.contains(presented)) {
                    String old = String.join(", ", recorded);
                    throw new TrustRefused(new Unauthenticated("the server at " + hostPort + " presented certificate "
                            + presented + ", but " + knownHosts + " records " + old
                            + " for it: the controller's certificate changed, or this is not the controller",
                            "if the certificate was replaced on purpose, remove the line '" + hostPort + " " + recorded.getFirst()
                                    + "' from " + knownHosts + " (the next connection records the new one), or pin it: "
                                    + "--fingerprint " + presented + "; otherwise do not connect"));
                }
            });
        }

        @Override
        public boolean verifiesHostname() {
            return false;
        }
    }

    /** A trust manager for connections to {@code hostPort} (as {@link #hostPort(URI)} writes it). */
    X509ExtendedTrustManager trustManager(String hostPort);

    /** Whether the client must also check that the certificate names the host it dialled. */
    boolean verifiesHostname();

    static ClientTrust caFile(Path pem) {
        if (!Files.exists(pem)) {
            throw new InvalidArgument("CA file " + pem + " does not exist",
                    "give the PEM file of the CA that issued the controller's certificate (or the certificate itself)");
        }
        PemFiles.certificates(pem, "CA file"); // fail now, not at the first connection
        return new CaFile(pem);
    }

    static ClientTrust pinned(String fingerprint) {
        return new Pinned(fingerprint);
    }

    /** Trust on first use with the given file; notices go to stderr. */
    static ClientTrust trustOnFirstUse(Path knownHosts) {
        new KnownHosts(knownHosts).lookup(""); // an unreadable file fails now, not inside the TLS handshake
        return new TrustOnFirstUse(knownHosts, System.err);
    }

    /** {@code ~/.berth/known_hosts}. */
    static Path defaultKnownHosts() {
        return Path.of(System.getProperty("user.home"), ".berth", "known_hosts");
    }

    /**
     * The mode from client settings (CLI flags, agent config): a CA file or a fingerprint, not both;
     * with neither, trust on first use with {@code knownHosts} (null: {@link #defaultKnownHosts()}).
     */
    static ClientTrust choose(Path caFile, String fingerprint, Path knownHosts) {
        boolean hasFp = fingerprint != null && !fingerprint.isBlank();
        if (caFile != null && hasFp) {
            throw new InvalidArgument("both a CA file and a pinned fingerprint are set",
                    "use one: the CA file to verify a certificate issued by a CA, the fingerprint for a self-signed one");
        }
        if (caFile != null) {
            return caFile(caFile);
        }
        if (hasFp) {
            return pinned(fingerprint);
        }
        return trustOnFirstUse(knownHosts != null ? knownHosts : defaultKnownHosts());
    }

    /** Options for an {@code https://} server; plain HTTP is refused. */
    default HttpClientOptions clientOptions(URI server) {
        return clientOptions(server, false);
    }

    /**
     * Vert.x client options for {@code server} (default host and port set from it). With
     * {@code allowPlainHttp} an {@code http://} URI gives options without TLS and a logged warning;
     * without it, an InvalidArgument.
     */
    default HttpClientOptions clientOptions(URI server, boolean allowPlainHttp) {
        String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
        if (server.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            throw new InvalidArgument("'" + server + "' is not a server address", "write it like https://HOST:" + DEFAULT_PORT);
        }
        HttpClientOptions o = new HttpClientOptions().setDefaultHost(bareHost(server)).setDefaultPort(port(server));
        if (scheme.equals("http")) {
            if (!allowPlainHttp) {
                throw new InvalidArgument("refusing plain http://" + hostPort(server)
                        + ": the token and all data would cross the network unencrypted",
                        "use https://" + hostPort(server) + ", or allow plain HTTP explicitly if this network is trusted");
            }
            Logger.getLogger(ClientTrust.class.getName()).warning("plain HTTP to " + hostPort(server)
                    + ": no TLS, the token and all data cross the network unencrypted");
            return o.setSsl(false);
        }
        return TlsPolicy.client(o.setSsl(true)
                .setVerifyHost(verifiesHostname())
                .setTrustOptions(TrustManagers.options(trustManager(hostPort(server)))));
    }

    /** {@code host:port} as known_hosts and messages write it: lower case, IPv6 in brackets, default port filled in. */
    static String hostPort(URI server) {
        String host = server.getHost().toLowerCase(Locale.ROOT);
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return host + ":" + port(server);
    }

    static int port(URI server) {
        return server.getPort() > 0 ? server.getPort() : DEFAULT_PORT;
    }

    private static String bareHost(URI server) {
        String h = server.getHost();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /**
     * The clear error behind a failed connection when one of these trust managers refused the server
     * (the JDK and Vert.x wrap it in handshake exceptions); empty for any other failure.
     */
    static Optional<BerthException> explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TrustRefused r) {
                return Optional.of(r.reason());
            }
            for (Throwable s : t.getSuppressed()) {
                Optional<BerthException> inner = explain(s);
                if (inner.isPresent()) {
                    return inner;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }
}
