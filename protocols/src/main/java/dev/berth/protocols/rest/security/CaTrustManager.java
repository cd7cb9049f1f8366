package dev.berth.protocols.rest.security;

import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.Unauthenticated;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Normal PKIX validation against the certificates of a CA file, with the JDK's own hostname check
 * (which runs when the client asks for endpoint identification, as Vert.x does with verifyHost).
 * It only adds a clear error: which server, which fingerprint it presented, what to check.
 */
final class CaTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;
    private final Path caFile;
    private final String hostPort;

    CaTrustManager(Path caFile, String hostPort) {
        this.caFile = caFile;
        this.hostPort = hostPort;
        this.pkix = pkix(PemFiles.certificates(caFile, "CA file"), caFile);
    }

    private static X509ExtendedTrustManager pkix(List<X509Certificate> cas, Path caFile) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                ks.setCertificateEntry("ca" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new InvalidArgument("cannot use CA file " + caFile + ": " + e.getMessage(),
                    "give a PEM file with the CA certificate (or the server's own certificate)", e);
        }
        throw new IllegalStateException("the JDK has no PKIX trust manager");
    }

    private TrustRefused refused(X509Certificate[] chain, CertificateException e) {
        String presented = chain != null && chain.length > 0 ? Fingerprints.of(chain[0]) : "(none)";
        return new TrustRefused(new Unauthenticated("the server at " + hostPort + " is not trusted by CA file "
                + caFile + ": " + e.getMessage() + " (its certificate: " + presented + ")",
                "check that " + caFile + " holds the CA that issued the server's certificate and that the host "
                        + "name you use is among the certificate's names; or trust that certificate by fingerprint "
                        + "after comparing it with the one the server printed at start"));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            pkix.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw refused(chain, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            pkix.checkServerTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw refused(chain, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            pkix.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw refused(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("this trust manager is for clients only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("this trust manager is for clients only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("this trust manager is for clients only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
