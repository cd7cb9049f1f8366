package dev.berth.protocols.rest.security;

import dev.berth.core.error.BerthException;
import java.security.cert.CertificateException;

/**
 * Thrown by Berth's trust managers inside the TLS handshake. It must be a CertificateException for
 * the JDK to fail the handshake; it carries the user-facing error so that
 * {@link ClientTrust#explain(Throwable)} can recover it from the handshake failure's cause chain.
 */
final class TrustRefused extends CertificateException {
    private static final long serialVersionUID = 1L;
    private final transient BerthException reason;

    TrustRefused(BerthException reason) {
        super(reason.getMessage());
        this.reason = reason;
    }

    BerthException reason() {
        return reason;
    }
}
