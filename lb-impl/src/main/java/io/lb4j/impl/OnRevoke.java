package io.lb4j.impl;

import io.lb4j.api.InvalidSettingException;
import java.util.Locale;

/**
 * What becomes of connections already open when their client's certificate is revoked while they
 * run (a reloaded revocation list names it, or a CA above it). New handshakes of that certificate
 * are refused either way; this choice is only about the open ones.
 *
 * <pre>{@code
 * LoadBalancer.builder().tls(tls).onRevoke(OnRevoke.CLOSE)...
 * }</pre>
 */
public enum OnRevoke {
  /** Open connections run on until they end by themselves, as HAProxy does. The default. */
  KEEP,
  /**
   * Open connections of a revoked chain are closed at once, each reported with
   * {@link io.lb4j.api.CloseReason#REVOKED}; the others are untouched. lb4j learns of the change
   * through {@link io.lb4j.api.TlsContextFactory#onTrustChange} and asks
   * {@link io.lb4j.api.TlsContextFactory#revocationOf} for each open connection's chain.
   */
  CLOSE;

  /**
   * Returns the choice named {@code keep} or {@code close}, in any case, as a configuration file
   * writes it.
   *
   * @param name the name
   * @return the choice
   * @throws InvalidSettingException if it is neither (setting {@code onRevoke})
   */
  public static OnRevoke named(String name) {
    String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "keep" -> KEEP;
      case "close" -> CLOSE;
      default -> throw InvalidSettingException.of(
          "onRevoke", name, "must be keep or close but was '" + name + "'");
    };
  }
}
