package io.lb4j.tls;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One certificate revocation list in use by a {@link PemTlsContextFactory}, as loaded: meant for
 * gauges (days until the next update, entries) and health checks. Immutable.
 *
 * @param file the file it was read from, as configured with
 *     {@link PemTlsContextFactory.Builder#crls(java.util.List)}
 * @param issuer the CA that signed it, as RFC 2253 text ({@code CN=clients CA,O=example})
 * @param thisUpdate when it was issued
 * @param nextUpdate when its issuer promised the next one; empty when the list names no date (then
 *     it never goes stale)
 * @param revokedEntries how many certificates it revokes
 */
public record CrlStatus(
    Path file, String issuer, Instant thisUpdate, Optional<Instant> nextUpdate,
    int revokedEntries) {

  /**
   * Checks the components.
   *
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if {@code revokedEntries} is negative
   */
  public CrlStatus {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(thisUpdate, "thisUpdate");
    Objects.requireNonNull(nextUpdate, "nextUpdate");
    if (revokedEntries < 0) {
      throw new IllegalArgumentException(
          "revokedEntries must not be negative but was " + revokedEntries);
    }
  }
}
