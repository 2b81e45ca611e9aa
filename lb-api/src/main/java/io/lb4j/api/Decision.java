package io.lb4j.api;

import java.time.Duration;

/**
 * The answer of an {@link Authorizer} or a {@link RateLimiter}: {@link Admit} or {@link Refuse}.
 * Decisions are values, so the access log and metrics can say why a client was turned away.
 *
 * <pre>{@code
 * Decision d = allowed ? Decision.admit() : Decision.refuse(RefusalReason.UNAUTHORIZED, "not in allow list");
 * if (d instanceof Refuse r) {
 *   log.info("refused: {} ({})", r.reason(), r.detail());
 * }
 * }</pre>
 */
public sealed interface Decision permits Admit, Refuse {

  /** Returns the admitting decision; a shared instance. */
  static Admit admit() {
    return Admit.INSTANCE;
  }

  /**
   * Returns a refusal with no retry-after.
   *
   * @param reason why, for metrics
   * @param detail a short human-readable explanation for the log
   * @return the refusal
   */
  static Refuse refuse(RefusalReason reason, String detail) {
    return new Refuse(reason, detail, Duration.ZERO);
  }

  /**
   * Returns a rate-limit refusal that tells when the client may try again.
   *
   * @param detail a short human-readable explanation for the log
   * @param retryAfter how long until a new connection could be admitted, zero if unknown
   * @return the refusal
   */
  static Refuse rateLimited(String detail, Duration retryAfter) {
    return new Refuse(RefusalReason.RATE_LIMITED, detail, retryAfter);
  }

  /** Returns whether the connection may go on. */
  boolean admitted();
}
