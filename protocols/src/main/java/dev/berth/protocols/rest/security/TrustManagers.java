package dev.berth.protocols.rest.security;

import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import io.vertx.core.net.TrustOptions;
import java.security.KeyStore;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Hands one trust manager to Vert.x. Not {@code TrustOptions.wrap(TrustManager)}: in Vert.x 5.1.2
 * that path loads a class that logs through SLF4J, which Berth does not ship (NoClassDefFoundError
 * org/slf4j/LoggerFactory). {@code wrap(TrustManagerFactory)} with Netty's simple factory avoids it.
 */
final class TrustManagers {
    private TrustManagers() {
    }

    static TrustOptions options(X509ExtendedTrustManager tm) {
        return TrustOptions.wrap(new SimpleTrustManagerFactory() {
            @Override
            protected void engineInit(KeyStore keyStore) {
                // nothing to load: the trust manager is ready
            }

            @Override
            protected void engineInit(ManagerFactoryParameters params) {
                // nothing to load: the trust manager is ready
            }

            @Override
            protected TrustManager[] engineGetTrustManagers() {
                return new TrustManager[] {tm};
            }
        });
    }
}
