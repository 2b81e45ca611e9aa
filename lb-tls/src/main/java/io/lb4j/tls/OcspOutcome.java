package io.lb4j.tls;

/**
 * How one OCSP lookup of a client certificate ended, as counted by
 * {@link PemTlsContextFactory#ocspLookups()}: an answer from the responder, a failure to get a
 * valid one, or an answer taken from the cache without asking.
 */
public enum OcspOutcome {

  /** The responder answered, verified, that the certificate is good. */
  GOOD,

  /** The responder answered, verified, that the certificate is revoked. */
  REVOKED,

  /** The responder answered, verified, that it does not know the certificate. */
  UNKNOWN,

  /**
   * No valid answer: the responder could not be reached, refused the request, or sent an answer
   * that does not verify (unsigned, signed by a key it may not sign with, stale, about another
   * certificate); or the certificate names no responder and none is configured.
   */
  ERROR,

  /** The responder did not answer within the timeout. */
  TIMEOUT,

  /** A verified answer still in the cache was used; the responder was not asked. */
  CACHED
}
