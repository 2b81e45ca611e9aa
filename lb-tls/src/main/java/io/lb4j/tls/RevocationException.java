package io.lb4j.tls;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/**
 * A client chain refused by the revocation lists: a certificate in it is revoked, or the list that
 * covers one of them is past its next update. Its message is the refusal's detail; its cause, a
 * {@link CertPathValidatorException} with the same message and the PKIX reason, is what the JDK's
 * TLS stack reads to choose its alert.
 */
final class RevocationException extends CertificateException {

  private static final long serialVersionUID = 1L;

  private final boolean stale;

  private RevocationException(String message, boolean stale) {
    super(message, new CertPathValidatorException(message, null, null, -1, stale
        ? CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS
        : CertPathValidatorException.BasicReason.REVOKED));
    this.stale = stale;
  }

  static RevocationException revoked(String message) {
    return new RevocationException(message, false);
  }

  static RevocationException stale(String message) {
    return new RevocationException(message, true);
  }

  /** True if no certificate is known revoked but a list that covers one is out of date. */
  boolean stale() {
    return stale;
  }
}
