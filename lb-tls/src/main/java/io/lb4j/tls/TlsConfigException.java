package io.lb4j.tls;

import java.util.Objects;

/**
 * A TLS setting or file that cannot be used. The message is one line that names the setting as the
 * builder spells it and, for a file, its path, for example
 * {@code "privateKey: /etc/lb4j/server.key: no private key found"}; it is fit to show a user as is.
 * {@link #setting()} and {@link #problem()} give the same apart, for a program that names the
 * setting its own way (the reference server writes {@code lb.yaml: tls.privateKey: } and the
 * problem).
 *
 * <p>Not an {@link IllegalArgumentException} (nor an {@link io.lb4j.api.InvalidSettingException}):
 * it mostly reports what files hold, read at {@code build()} or at a {@link
 * PemTlsContextFactory#reload()} that takes no argument at all, and callers that catch
 * {@code IllegalArgumentException} around TLS code (the PEM parser does, for malformed DER) must
 * not catch it.
 *
 * <p>Thrown by {@link PemTlsContextFactory.Builder} and {@link PemTlsContextFactory#reload()}.
 * Immutable.
 */
public final class TlsConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String setting;
  private final String problem;

  /**
   * Creates an exception about one setting from its whole message.
   *
   * @param setting the builder setting at fault, for example {@code "cipherSuites"}
   * @param message the one-line message, naming the setting; it is also the {@link #problem()}
   *     (throw {@link #of} to keep the setting and the problem apart)
   */
  public TlsConfigException(String setting, String message) {
    this(setting, message, (Throwable) null);
  }

  /**
   * Creates an exception about one setting from its whole message, caused by another failure.
   *
   * @param setting the builder setting at fault, for example {@code "privateKey"}
   * @param message the one-line message, naming the setting; it is also the {@link #problem()}
   * @param cause what went wrong underneath
   */
  public TlsConfigException(String setting, String message, Throwable cause) {
    this(setting, message, message, cause);
  }

  private TlsConfigException(String setting, String message, String problem, Throwable cause) {
    super(message, cause);
    this.setting = Objects.requireNonNull(setting, "setting");
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /**
   * Returns an exception whose message is {@code setting + ": " + problem}.
   *
   * @param setting the builder setting at fault, for example {@code "privateKey"}
   * @param problem what is wrong, without the setting, for example
   *     {@code "/etc/lb4j/server.key: no private key found"}
   * @param cause what went wrong underneath, or null
   * @return the exception, to throw
   */
  public static TlsConfigException of(String setting, String problem, Throwable cause) {
    return new TlsConfigException(setting, setting + ": " + problem, problem, cause);
  }

  /**
   * Returns an exception whose message is {@code setting + ": " + problem}.
   *
   * @param setting the builder setting at fault
   * @param problem what is wrong, without the setting
   * @return the exception, to throw
   */
  public static TlsConfigException of(String setting, String problem) {
    return of(setting, problem, null);
  }

  /**
   * Returns the builder setting at fault: {@code certificateChain}, {@code privateKey},
   * {@code clientCa}, {@code crls}, {@code crlExpiryWarning}, {@code protocols},
   * {@code cipherSuites}, {@code engine}, {@code watch} or {@code sessionTicketKeys}.
   */
  public String setting() {
    return setting;
  }

  /**
   * Returns what is wrong without the setting in front, for example
   * {@code "/etc/lb4j/server.key: no private key found"}.
   *
   * @return the problem, never null
   */
  public String problem() {
    return problem;
  }
}
