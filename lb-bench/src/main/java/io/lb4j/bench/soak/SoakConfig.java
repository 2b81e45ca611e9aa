package io.lb4j.bench.soak;

import io.lb4j.tls.TlsEngine;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of one soak run. Immutable; the {@code with...} methods return changed copies.
 *
 * <pre>{@code
 * SoakReport report = Soak.run(SoakConfig.defaults().withDuration(Duration.ofSeconds(20)));
 * }</pre>
 *
 * @param duration how long clients send traffic; faults are injected throughout
 * @param clients how many client threads send traffic at once
 * @param faultInterval the time between two injected faults
 * @param seed chooses the traffic mix and the malformed inputs; printed in the report
 * @param idleTimeout lb4j's idle timeout, which ends connections to a host that never answers
 * @param handshakeTimeout lb4j's TLS handshake timeout
 * @param maxStreamBytes the longest echo stream a client sends
 * @param engine the TLS engine of lb4j's listeners
 * @param watchLeaks whether the soak installs Netty's leak listener itself and counts its reports
 *     (off when a test framework already listens)
 */
public record SoakConfig(
    Duration duration,
    int clients,
    Duration faultInterval,
    long seed,
    Duration idleTimeout,
    Duration handshakeTimeout,
    int maxStreamBytes,
    TlsEngine engine,
    boolean watchLeaks) {

  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException naming the setting that is out of range
   */
  public SoakConfig {
    positive(duration, "duration");
    positive(faultInterval, "faultInterval");
    positive(idleTimeout, "idleTimeout");
    positive(handshakeTimeout, "handshakeTimeout");
    Objects.requireNonNull(engine, "engine");
    if (clients < 1) {
      throw new IllegalArgumentException("clients must be at least 1 but was " + clients);
    }
    if (maxStreamBytes < 1024) {
      throw new IllegalArgumentException(
          "maxStreamBytes must be at least 1024 but was " + maxStreamBytes);
    }
  }

  /**
   * Returns the defaults of the soak command: 30 minutes, 8 clients, a fault every 10 seconds, a
   * seed from the clock, idle and handshake timeouts of 5 seconds (short, so hung hosts and silent
   * clients end soon; long enough that a client thread starved by a busy machine is not taken for
   * either), streams up to 1 MiB, the {@link TlsEngine#AUTO} engine, leaks watched.
   */
  public static SoakConfig defaults() {
    return new SoakConfig(Duration.ofMinutes(30), 8, Duration.ofSeconds(10), System.nanoTime(),
        Duration.ofSeconds(5), Duration.ofSeconds(5), 1 << 20, TlsEngine.AUTO, true);
  }

  /** Returns a copy with another duration. */
  public SoakConfig withDuration(Duration d) {
    return new SoakConfig(d, clients, faultInterval, seed, idleTimeout, handshakeTimeout,
        maxStreamBytes, engine, watchLeaks);
  }

  /** Returns a copy with another number of clients. */
  public SoakConfig withClients(int n) {
    return new SoakConfig(duration, n, faultInterval, seed, idleTimeout, handshakeTimeout,
        maxStreamBytes, engine, watchLeaks);
  }

  /** Returns a copy with another fault interval. */
  public SoakConfig withFaultInterval(Duration d) {
    return new SoakConfig(duration, clients, d, seed, idleTimeout, handshakeTimeout,
        maxStreamBytes, engine, watchLeaks);
  }

  /** Returns a copy with another seed. */
  public SoakConfig withSeed(long s) {
    return new SoakConfig(duration, clients, faultInterval, s, idleTimeout, handshakeTimeout,
        maxStreamBytes, engine, watchLeaks);
  }

  /** Returns a copy with another longest stream. */
  public SoakConfig withMaxStreamBytes(int bytes) {
    return new SoakConfig(duration, clients, faultInterval, seed, idleTimeout, handshakeTimeout,
        bytes, engine, watchLeaks);
  }

  /** Returns a copy with another TLS engine. */
  public SoakConfig withEngine(TlsEngine e) {
    return new SoakConfig(duration, clients, faultInterval, seed, idleTimeout, handshakeTimeout,
        maxStreamBytes, e, watchLeaks);
  }

  /** Returns a copy that does or does not watch for leaks itself. */
  public SoakConfig withWatchLeaks(boolean watch) {
    return new SoakConfig(duration, clients, faultInterval, seed, idleTimeout, handshakeTimeout,
        maxStreamBytes, engine, watch);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive but was " + d);
    }
  }
}
