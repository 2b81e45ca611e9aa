package io.lb4j.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The decision that turns a connection away, with why.
 *
 * @param reason the category, for metrics
 * @param detail a short explanation for the log, never null
 * @param retryAfter for rate limits, how long until a new connection could be admitted; zero
 *     when unknown or not applicable
 */
public record Refuse(RefusalReason reason, String detail, Duration retryAfter) implements Decision {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if a part is null
   * @throws InvalidSettingException if {@code retryAfter} is negative
   */
  public Refuse {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    InvalidSettingException.requireNotNegative(retryAfter, "retryAfter");
  }

  /** Returns false. */
  @Override
  public boolean admitted() {
    return false;
  }
}
