package dev.berth.protocols.rest.security;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The TLS Berth speaks, as server and as client (docs/security.md): TLS 1.3, and TLS 1.2 only with
 * forward-secret ECDHE key exchange and an AEAD cipher (AES-GCM, ChaCha20-Poly1305). No CBC suites
 * (padding oracles, SHA-1 MACs), no static RSA key exchange (no forward secrecy), no TLS 1.0/1.1.
 * The ECDSA suites serve the generated EC certificate, the RSA ones a configured RSA certificate.
 * Names are the JDK's (the TLS engine is the JDK's); every one is supported by JDK 21 and later.
 */
public final class TlsPolicy {
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final List<String> CIPHER_SUITES = List.of(
            // TLS 1.3 (all AEAD, always ephemeral key exchange)
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            // TLS 1.2
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private TlsPolicy() {
    }

    /** Restricts {@code options} (TLS on) to {@link #PROTOCOLS} and {@link #CIPHER_SUITES}. */
    public static HttpServerOptions server(HttpServerOptions options) {
        options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(PROTOCOLS));
        List.copyOf(options.getEnabledCipherSuites()).forEach(options::removeEnabledCipherSuite);
        CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        return options;
    }

    /** The same for a client: it never offers what the server would refuse anyway. */
    public static HttpClientOptions client(HttpClientOptions options) {
        options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(PROTOCOLS));
        List.copyOf(options.getEnabledCipherSuites()).forEach(options::removeEnabledCipherSuite);
        CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        return options;
    }
}
