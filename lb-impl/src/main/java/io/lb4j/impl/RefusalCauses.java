package io.lb4j.impl;

import io.lb4j.api.RefusalCause;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateRevokedException;

/**
 * Finds the {@link RefusalCause} of a failed client-certificate check in the JDK's own exception
 * types, so lb4j needs no type of the TLS factory that refused: a {@link CertificateRevokedException},
 * or a {@link CertPathValidatorException} whose reason is {@link BasicReason#REVOKED} or
 * {@link BasicReason#UNDETERMINED_REVOCATION_STATUS}, anywhere in the cause chain. Both TLS engines
 * keep the trust manager's exception as a cause of the handshake failure.
 */
final class RefusalCauses {

  private RefusalCauses() {}

  /**
   * Returns the cause of a refusal for {@code failure}, or null when it names none.
   *
   * @param failure the handshake or identification failure; may be null
   */
  static RefusalCause of(Throwable failure) {
    // Bounded, in case a cause chain loops through more than one exception.
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t instanceof CertificateRevokedException) {
        return RefusalCause.REVOKED;
      }
      if (t instanceof CertPathValidatorException invalid) {
        if (invalid.getReason() == BasicReason.REVOKED) {
          return RefusalCause.REVOKED;
        }
        if (invalid.getReason() == BasicReason.UNDETERMINED_REVOCATION_STATUS) {
          return RefusalCause.REVOCATION_UNKNOWN;
        }
      }
    }
    return null;
  }
}
