package io.lb4j.server;

/**
 * A configuration that cannot be served: a file that is missing or malformed, a field with a bad
 * value, a listener that cannot bind. {@link #getMessage()} is the one line shown to the user,
 * naming the file and the field: {@code lb.yaml: upstreams[0].connectTimeout: '2x' is not a
 * duration (use 500ms, 2s, 1m, 1h)}.
 */
final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param file the configuration file as the user named it
   * @param field the field's path, as {@code upstreams[0].hosts[1]}, or null for the whole file
   * @param problem what is wrong, one line, without the file or field
   * @param cause what failed underneath, for {@code --verbose}; may be null
   */
  ConfigException(String file, String field, String problem, Throwable cause) {
    super(file + ": " + (field == null || field.isEmpty() ? "" : field + ": ") + oneLine(problem), cause);
    this.field = field;
  }

  private ConfigException(String message, String field, Throwable cause) {
    super(message, cause);
    this.field = field;
  }

  /** Returns this complaint with advice added at the end of its line. */
  ConfigException withHint(String hint) {
    return new ConfigException(getMessage() + " " + hint, field, getCause());
  }

  /** Returns the field at fault, or null when the problem is with the whole file. */
  String field() {
    return field;
  }

  static String oneLine(String text) {
    if (text == null) {
      return "";
    }
    return text.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
