package io.lb4j.ratelimit.redis;

import io.github.bucket4j.BucketConfiguration;
import io.lb4j.api.Decision;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.PolicyTable;
import io.lb4j.ratelimit.TokenBuckets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The shared-bucket side of one limit, as a {@link PolicyTable} holds it. Each policy carries a
 * configuration version; Bucket4j replaces a bucket's stored configuration when it meets a higher
 * version. The table keeps an unchanged limit's policy, and so its version, from generation to
 * generation; a changed one gets the version of its generation, read from the wall clock, so that
 * among lb4j instances sharing a Redis the one whose limit changed last wins.
 *
 * @param limit the limit
 * @param configuration the bucket's configuration, which Bucket4j asks for only when it creates or
 *     replaces a bucket; null when the limit has no rate
 * @param version the configuration's version
 * @param refusalDetail the detail of a rate refusal; null when the limit has no rate
 * @param fleetRefusal the refusal when the fleet holds the cap; null when the limit has no cap
 */
record SharedPolicy(
    ClientLimit limit,
    Supplier<CompletableFuture<BucketConfiguration>> configuration,
    long version,
    String refusalDetail,
    Decision fleetRefusal) {

  static SharedPolicy of(ClientLimit limit, long version) {
    Decision fleetRefusal = limit.hasConcurrencyLimit()
        ? Decision.rateLimited(limit.concurrencyRefusalDetail() + " across the fleet", Duration.ZERO)
        : null;
    if (!limit.hasRateLimit()) {
      return new SharedPolicy(limit, null, version, null, fleetRefusal);
    }
    CompletableFuture<BucketConfiguration> configuration =
        CompletableFuture.completedFuture(TokenBuckets.configuration(limit));
    return new SharedPolicy(
        limit, () -> configuration, version, limit.rateRefusalDetail(), fleetRefusal);
  }
}
