package io.lb4j.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.Refuse;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Identities and decisions for tests. */
final class Clients {

  static final String UPSTREAM = "api";

  private Clients() {}

  static ClientIdentity client(String commonName) {
    return new ClientIdentity(
        commonName, List.of(), List.of(), List.of(), "fp-" + commonName, Instant.MAX);
  }

  /** Asks for a connection and returns the decision, which a local limiter gives at once. */
  static Decision acquire(RateLimiter limiter, String commonName) {
    CompletableFuture<Decision> stage = limiter.acquire(client(commonName), UPSTREAM).toCompletableFuture();
    assertThat(stage).as("a local limiter decides at once").isDone();
    return stage.join();
  }

  static void release(RateLimiter limiter, String commonName) {
    limiter.release(client(commonName), UPSTREAM);
  }

  /** Asks {@code attempts} times and returns how many were admitted. */
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
