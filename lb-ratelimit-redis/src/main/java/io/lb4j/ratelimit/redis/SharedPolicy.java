package io.lb4j.ratelimit.redis;

import io.github.bucket4j.BucketConfiguration;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.ClientLimits;
import io.lb4j.ratelimit.TokenBuckets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The token-bucket part of one generation of {@link ClientLimits}, ready for Bucket4j. Each
 * limit carries a configuration version; Bucket4j replaces a bucket's stored configuration when
 * it meets a higher version. An unchanged limit keeps its policy, and so its version, from table
 * to table; a changed one gets a version from the wall clock, so that among lb4j instances
 * sharing a Redis the one whose limit changed last wins.
 */
final class RedisPolicyTable {

  /**
   * The bucket side of one limit; {@code configuration} is null when it has no rate. Bucket4j
   * asks for the configuration only when it creates or replaces a bucket.
   */
  record Policy(
      ClientLimit limit,
      Supplier<CompletableFuture<BucketConfiguration>> configuration,
      long version,
      String refusalDetail) {}

  final ClientLimits limits;
  private final Policy defaults;
  private final Map<String, Policy> overrides;
  private final long lastVersion;

  private RedisPolicyTable(
      ClientLimits limits, Policy defaults, Map<String, Policy> overrides, long lastVersion) {
    this.limits = limits;
    this.defaults = defaults;
    this.overrides = overrides;
    this.lastVersion = lastVersion;
  }

  static RedisPolicyTable first(ClientLimits limits) {
    return build(limits, new HashMap<>(), 0);
  }

  RedisPolicyTable next(ClientLimits next) {
    Map<ClientLimit, Policy> known = new HashMap<>();
    known.put(defaults.limit(), defaults);
    overrides.values().forEach(p -> known.put(p.limit(), p));
    return build(next, known, lastVersion);
  }

  private static RedisPolicyTable build(
      ClientLimits limits, Map<ClientLimit, Policy> known, long lastVersion) {
    // Strictly increasing even when two updates fall in the same millisecond.
    long version = Math.max(lastVersion + 1, System.currentTimeMillis());
    Policy defaults = known.computeIfAbsent(limits.defaults(), l -> policy(l, version));
    Map<String, Policy> overrides = new HashMap<>();
    limits.overrides().forEach((cn, limit) ->
        overrides.put(cn, known.computeIfAbsent(limit, l -> policy(l, version))));
    return new RedisPolicyTable(limits, defaults, Map.copyOf(overrides), version);
  }

  private static Policy policy(ClientLimit limit, long version) {
    if (!limit.hasRateLimit()) {
      return new Policy(limit, null, version, null);
    }
    CompletableFuture<BucketConfiguration> configuration =
        CompletableFuture.completedFuture(TokenBuckets.configuration(limit));
    return new Policy(limit, () -> configuration, version, limit.rateRefusalDetail());
  }

  Policy policyFor(String commonName) {
    if (overrides.isEmpty()) {
      return defaults;
    }
    Policy p = overrides.get(commonName);
    return p != null ? p : defaults;
  }
}
