package io.lb4j.ratelimit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.Refuse;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Identities and decisions for tests. */
final class Decisions {

  static final String UPSTREAM = "api";

  private Decisions() {}

  static ClientIdentity client(String commonName) {
    return new ClientIdentity(commonName, List.of(), List.of(), List.of(), "fp-" + commonName, Instant.MAX);
  }

  /** Asks for a connection and waits (boundedly) for the decision. */
  static Decision acquire(RateLimiter limiter, String commonName) {
    try {
      return limiter.acquire(client(commonName), UPSTREAM).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("no decision for " + commonName, e);
    }
  }

  static void release(RateLimiter limiter, String commonName) {
    limiter.release(client(commonName), UPSTREAM);
  }

  static int admitted(RateLimiter limiter, String commonName, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts; i++) {
      if (acquire(limiter, commonName).admitted()) {
        admitted++;
      }
    }
    return admitted;
  }

  static Refuse refusal(Decision decision) {
    assertThat(decision).isInstanceOf(Refuse.class);
    return (Refuse) decision;
  }
}
