package io.lb4j.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The decision that turns a connection away, with why.
 *
 * @param reason the category, for metrics
 * @param detail a short explanation for the log, never null
 * @param retryAfter for rate limits, how long until a new connection could be admitted; zero
 *     when unknown or not applicable
 * @param cause a finer reason inside {@code reason} for metrics, such as
 *     {@link RefusalCause#REVOKED} inside {@link RefusalReason#TLS_FAILED}; null when there is none
 */
public record Refuse(RefusalReason reason, String detail, Duration retryAfter, RefusalCause cause)
    implements Decision {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if {@code reason}, {@code detail} or {@code retryAfter} is null
   * @throws InvalidSettingException if {@code retryAfter} is negative
   */
  public Refuse {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    InvalidSettingException.requireNotNegative(retryAfter, "retryAfter");
  }

  /**
   * A refusal without a finer cause.
   *
   * @param reason the category, for metrics
   * @param detail a short explanation for the log
   * @param retryAfter how long until a new connection could be admitted, zero when unknown
   * @throws NullPointerException if a part is null
   * @throws InvalidSettingException if {@code retryAfter} is negative
   */
  public Refuse(RefusalReason reason, String detail, Duration retryAfter) {
    this(reason, detail, retryAfter, null);
  }

  /** Returns the finer cause, if one is known. */
  public Optional<RefusalCause> causeIfAny() {
    return Optional.ofNullable(cause);
  }

  /** Returns false. */
  @Override
  public boolean admitted() {
    return false;
  }
}
