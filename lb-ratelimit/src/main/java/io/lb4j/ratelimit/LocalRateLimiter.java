package io.lb4j.ratelimit;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.RateLimiter;

/**
 * A {@link RateLimiter} that keeps, in this process, a token bucket on new connections and a count
 * of open connections for each client.
 *
 * <pre>{@code
 * LocalRateLimiter limiter = LocalRateLimiter.builder()
 *     .defaults(ClientLimit.rate(5, 10).withMaxConcurrent(20))
 *     .client("alice", ClientLimit.rate(50, 100))
 *     .build();
 * // on a configuration reload, while connections are open:
 * limiter.updateLimits(ClientLimits.of(ClientLimit.rate(10, 20)));
 * }</pre>
 *
 * <h2>Semantics</h2>
 * Clients are keyed by {@link ClientIdentity#commonName()}; the upstream is not part of the key,
 * so a client's limits hold across all upstreams together. Identities without a CN share the key
 * {@code ""}. See {@link ClientLimits} for how overrides relate to the default, and
 * {@link ClientLimit} for what each limit means.
 *
 * <p>A connection is admitted when both limits admit it. The cap is checked first; a connection
 * refused by either limit takes neither a token nor a slot. Refusals carry reason
 * {@link io.lb4j.api.RefusalReason#RATE_LIMITED} and a detail naming the limit
 * ({@code "rate limit 5/s burst 10 exceeded"}, {@code "concurrent connection limit 3 reached"}); a
 * rate refusal carries the time until a token is back as its retry-after.
 *
 * <p>Every admitted {@link #acquire} must be matched by exactly one {@link #release}. A release
 * that matches no admitted acquire is ignored and never drives a count below zero.
 *
 * <h2>Memory</h2>
 * A client's state is forgotten once it has had no open connection and no new one for
 * {@link Builder#expireAfterIdle expireAfterIdle} (or longer, if its bucket takes longer to
 * refill, so that forgetting never hands out a burst early). A client with open connections is
 * never forgotten, so its count stays right. At most {@link Builder#maximumClients
 * maximumClients} idle clients are kept; beyond that the least valuable idle ones are forgotten
 * early, which can only give them a fresh burst.
 *
 * <h2>Threading</h2>
 * Thread-safe. {@code acquire} and {@code release} never block and return completed stages;
 * {@code acquire} returns {@link RateLimiter#ADMITTED} when it admits.
 */
public sealed interface LocalRateLimiter extends ClientRateLimiter permits CaffeineRateLimiter {

  /** Returns a new builder; by default nobody is limited. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link LocalRateLimiter} from the settings every {@link ClientRateLimiter} shares.
   * Each setter checks its value at once. Not thread-safe.
   */
  final class Builder extends ClientRateLimiterBuilder<Builder> {

    private Builder() {}

    /** Returns a new limiter with these settings; the builder may be used again. */
    public LocalRateLimiter build() {
      return buildLocal(clientLimits());
    }
  }
}
