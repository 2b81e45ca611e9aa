package io.lb4j.server;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as a configuration file writes them: a whole number and a unit, as {@code 500ms}. */
final class Durations {

  /** What every duration error tells the user to write instead. */
  static final String HINT = "use 500ms, 2s, 1m, 1h";

  private static final Pattern FORM = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private Durations() {}

  /**
   * Parses {@code 500ms}, {@code 2s}, {@code 1m} or {@code 1h}.
   *
   * @param text as written
   * @return the duration, zero or positive
   * @throws IllegalArgumentException if the text is of no such form; the message quotes it
   */
  static Duration parse(String text) {
    Matcher m = FORM.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration (" + HINT + ")");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** Writes a duration in the largest unit that shows it exactly: {@code 1h}, {@code 90s}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms != 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms != 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
