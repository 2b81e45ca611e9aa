package io.lb4j.api;

import java.time.Duration;
import java.util.Objects;

/**
 * A setting given a value it cannot take: which setting, the value, and a one-line message for
 * people. Every builder and value type of lb4j throws it for a bad value, so a program that reads
 * its settings from a file (the reference server does) can say where the fault is from
 * {@link #setting()} alone, without reading the message.
 *
 * <pre>{@code
 * try {
 *   builder.connectTimeout(Duration.ZERO);
 * } catch (InvalidSettingException e) {
 *   // e.setting() is "connectTimeout", e.value() is "PT0S",
 *   // e.getMessage() is "connectTimeout must be positive but was PT0S"
 * }
 * }</pre>
 *
 * <p>{@link #problem()} is the message without the setting's name, for a program that names the
 * setting its own way: the reference server writes {@code lb.yaml: upstreams[0].connectTimeout:}
 * followed by it. The static {@code require...} methods are the checks the builders use, each
 * returning the value it accepted. Immutable and thread-safe.
 */
public class InvalidSettingException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String setting;
  private final String value;
  private final String problem;

  /**
   * Creates an exception about one setting, whose {@link #problem()} is the whole message.
   * Prefer {@link #of(String, Object, String)}, which keeps the two apart.
   *
   * @param setting the setting at fault, as the builder or file spells it; not null
   * @param value the value it was given, as text; null when there is none to show (a missing
   *     value, or a secret)
   * @param message the one-line message for people, lower-case, naming the setting
   */
  public InvalidSettingException(String setting, String value, String message) {
    this(setting, value, message, message, null);
  }

  /**
   * Creates an exception about one setting, caused by another failure, whose {@link #problem()}
   * is the whole message.
   *
   * @param setting the setting at fault; not null
   * @param value the value it was given, as text, or null
   * @param message the one-line message for people
   * @param cause what went wrong underneath
   */
  public InvalidSettingException(String setting, String value, String message, Throwable cause) {
    this(setting, value, message, message, cause);
  }

  /**
   * Creates an exception about one setting whose message names the setting in words of its own,
   * as {@code "upstream name must not be blank"} does for the setting {@code name}.
   *
   * @param setting the setting at fault; not null
   * @param value the value it was given, as text, or null
   * @param message the one-line message for people, naming the setting; not null
   * @param problem the message without the setting's name, as {@code "must not be blank"}; not
   *     null
   * @param cause what went wrong underneath, or null
   */
  public InvalidSettingException(
      String setting, String value, String message, String problem, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.setting = Objects.requireNonNull(setting, "setting");
    this.value = value;
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /**
   * Returns an exception whose message is the setting's name followed by {@code problem}, as
   * {@code "burst must be at least 1 but was 0"} for {@code of("burst", 0, "must be at least 1
   * but was 0")}.
   *
   * @param setting the setting at fault, as the builder spells it; not null
   * @param value the value it was given, or null when there is none to show
   * @param problem what is wrong, lower-case, without the setting's name; not null
   * @return the exception, to throw
   */
  public static InvalidSettingException of(String setting, Object value, String problem) {
    return new InvalidSettingException(
        setting, value == null ? null : String.valueOf(value), setting + " " + problem, problem,
        null);
  }

  /**
   * Returns the setting at fault, as the builder spells it, for example {@code "connectTimeout"}.
   *
   * @return the setting, never null
   */
  public String setting() {
    return setting;
  }

  /**
   * Returns the value the setting was given, as text.
   *
   * @return the value, or null when there is none to show
   */
  public String value() {
    return value;
  }

  /**
   * Returns what is wrong without the setting's name, for example {@code "must be positive but
   * was PT0S"}; the whole message when the exception was made from a message alone.
   *
   * @return the problem, never null
   */
  public String problem() {
    return problem;
  }

  /**
   * Fails unless {@code condition} holds.
   *
   * @param condition what must hold
   * @param setting the setting at fault
   * @param value the value it was given
   * @param problem what is wrong, without the setting's name, for example
   *     {@code "must be at least 1 but was 0"}; the message is the setting's name, a space and this
   * @throws InvalidSettingException if {@code condition} is false
   */
  public static void requireArgument(
      boolean condition, String setting, Object value, String problem) {
    if (!condition) {
      throw of(setting, value, problem);
    }
  }

  /**
   * Returns {@code value} if it is positive.
   *
   * @param value a duration
   * @param setting its setting's name
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null, naming the setting
   * @throws InvalidSettingException if {@code value} is zero or negative
   */
  public static Duration requirePositive(Duration value, String setting) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative() || value.isZero()) {
      throw of(setting, value, "must be positive but was " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is zero or positive.
   *
   * @param value a duration
   * @param setting its setting's name
   * @return {@code value}
   * @throws NullPointerException if {@code value} is null, naming the setting
   * @throws InvalidSettingException if {@code value} is negative
   */
  public static Duration requireNotNegative(Duration value, String setting) {
    Objects.requireNonNull(value, setting);
    if (value.isNegative()) {
      throw of(setting, value, "must not be negative but was " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is at least {@code minimum}.
   *
   * @param value a number
   * @param minimum the least value allowed
   * @param setting its setting's name
   * @return {@code value}
   * @throws InvalidSettingException if {@code value} is less than {@code minimum}
   */
  public static long requireAtLeast(long value, long minimum, String setting) {
    if (value < minimum) {
      throw of(setting, value, "must be at least " + minimum + " but was " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is positive.
   *
   * @param value a number
   * @param setting its setting's name
   * @return {@code value}
   * @throws InvalidSettingException if {@code value} is zero or negative
   */
  public static int requirePositive(int value, String setting) {
    if (value <= 0) {
      throw of(setting, value, "must be positive but was " + value);
    }
    return value;
  }

  /**
   * Returns {@code value} if it is zero or positive.
   *
   * @param value a number
   * @param setting its setting's name
   * @return {@code value}
   * @throws InvalidSettingException if {@code value} is negative
   */
  public static long requireNotNegative(long value, String setting) {
    if (value < 0) {
      throw of(setting, value, "must not be negative but was " + value);
    }
    return value;
  }
}
