package dev.berth.protocols.rest;

import dev.berth.protocols.rest.security.ClientTrust;
import dev.berth.protocols.rest.security.TlsPolicy;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.reactor.ssl.SSLBufferMode;

/**
 * The TLS side of {@link RestClient}: the JDK's TLS with the trust manager of a {@link ClientTrust}
 * and Berth's {@link TlsPolicy}. A CA file also checks the host name, as the JDK does it for HTTPS
 * (endpoint identification inside the handshake, so a wrong name fails in the CA trust manager with
 * its clear message); a pinned or first-use certificate is trusted by fingerprint alone.
 */
final class ClientTls {
    private ClientTls() {
    }

    static TlsSocketStrategy strategy(ClientTrust trust, String hostPort) {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trust.trustManager(hostPort)}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no usable TLS: " + e.getMessage(), e);
        }
        boolean names = trust.verifiesHostname();
        return new DefaultClientTlsStrategy(context, TlsPolicy.PROTOCOLS.toArray(String[]::new),
                TlsPolicy.CIPHER_SUITES.toArray(String[]::new), SSLBufferMode.STATIC,
                names ? HostnameVerificationPolicy.BUILTIN : HostnameVerificationPolicy.CLIENT,
                names ? null : NoopHostnameVerifier.INSTANCE);
    }
}
