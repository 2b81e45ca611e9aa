package io.lb4j.tls;

/**
 * Whether and how strictly client certificates are checked with their CA's OCSP responder
 * ({@link PemTlsContextFactory.Builder#ocspMode}). A certificate the responder answers
 * {@code revoked} for is refused in both checking modes; the modes differ when no valid answer can
 * be had (the responder is down, slow, answers {@code unknown}, or its answer does not verify).
 */
public enum OcspMode {

  /** No OCSP checking (the default). */
  OFF,

  /** Admit a client whose certificate has no valid answer; count it and log it. */
  SOFT,

  /** Refuse a client whose certificate has no valid answer. */
  HARD
}
