package io.lb4j.api;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as lb4j's configuration and log lines write them: a whole number and a unit,
 * {@code 500ms}, {@code 2s}, {@code 1m} or {@code 1h}, rather than ISO-8601's {@code PT2S}.
 *
 * <pre>{@code
 * DurationText.parse("90s");                   // PT1M30S
 * DurationText.format(Duration.ofSeconds(90)); // "90s"
 * }</pre>
 */
public final class DurationText {

  /** What every duration error tells the user to write instead. */
  public static final String HINT = "use 500ms, 2s, 1m, 1h";

  private static final Pattern FORM = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private DurationText() {}

  /**
   * Parses {@code 500ms}, {@code 2s}, {@code 1m} or {@code 1h}; surrounding spaces are ignored.
   *
   * @param text as written
   * @return the duration, zero or positive
   * @throws IllegalArgumentException if the text is of no such form; the message quotes it and
   *     gives the {@link #HINT}
   */
  public static Duration parse(String text) {
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

  /**
   * Writes a duration in the largest unit that shows it exactly to the millisecond: {@code 1h},
   * {@code 90s}, {@code 1500ms}. Sub-millisecond parts are dropped; a negative duration keeps its
   * sign.
   *
   * @param d the duration
   * @return its text, which {@link #parse} reads back when it is not negative
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 0) {
      return "-" + format(Duration.ofMillis(-ms));
    }
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
