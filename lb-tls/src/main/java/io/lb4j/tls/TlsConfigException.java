package io.lb4j.tls;

import java.util.Objects;

/**
 * A TLS setting or file that cannot be used. The message is one line that names the setting as the
 * builder spells it and, for a file, its path, for example
 * {@code "privateKey: /etc/lb4j/server.key: no private key found"}; it is fit to show a user as is.
 *
 * <p>Thrown by {@link PemTlsContextFactory.Builder} and {@link PemTlsContextFactory#reload()}.
 */
public final class TlsConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * Creates an exception about one setting.
   *
   * @param setting the builder setting at fault, for example {@code "cipherSuites"}
   * @param message the one-line message, starting with the setting
   */
  public TlsConfigException(String setting, String message) {
    super(message);
    this.setting = Objects.requireNonNull(setting, "setting");
  }

  /**
   * Creates an exception about one setting, caused by another failure.
   *
   * @param setting the builder setting at fault, for example {@code "privateKey"}
   * @param message the one-line message, starting with the setting
   * @param cause what went wrong underneath
   */
  public TlsConfigException(String setting, String message, Throwable cause) {
    super(message, cause);
    this.setting = Objects.requireNonNull(setting, "setting");
  }

  /**
   * Returns the builder setting at fault: {@code certificateChain}, {@code privateKey},
   * {@code clientCa}, {@code protocols}, {@code cipherSuites}, {@code engine} or {@code watch}.
   */
  public String setting() {
    return setting;
  }
}
