package io.lb4j.api;

/**
 * A finer reason inside a {@link RefusalReason}, where one is known, for metrics and the access log:
 * a client refused because its certificate is revoked is still refused with
 * {@link RefusalReason#TLS_FAILED}, and {@link Refuse#cause()} says {@link #REVOKED}, so an alert on
 * revocations does not have to read detail texts. Values are few and fixed, fit to be label values.
 */
public enum RefusalCause {
  /** A certificate of the client's chain is revoked (by a revocation list, or an OCSP answer). */
  REVOKED,
  /**
   * Whether the client's chain is revoked could not be established, and the policy refuses such a
   * chain: a revocation list past its next update, for instance.
   */
  REVOCATION_UNKNOWN
}
