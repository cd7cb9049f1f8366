package dev.berth.protocols.rest.security;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a server by the fingerprint of its leaf certificate alone (pinned or known_hosts): no CA,
 * no hostname, no dates — the identity is the exact certificate, and the TLS handshake still proves
 * the server holds its private key. Extends X509ExtendedTrustManager so that the JDK calls it as is
 * instead of wrapping it with its own hostname checks.
 */
final class FingerprintTrustManager extends X509ExtendedTrustManager {
    /** Decides about one fingerprint; throws {@link TrustRefused} to refuse. */
    interface Check {
        void check(String fingerprint) throws CertificateException;
    }

    private final Check check;

    FingerprintTrustManager(Check check) {
        this.check = check;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server sent no certificate");
        }
        check.check(Fingerprints.of(chain[0]));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager is for clients only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
