package io.lb4j.server;

import io.lb4j.api.DurationText;
import java.time.Duration;

/** Durations as a configuration file writes them; see {@link DurationText}. */
final class Durations {

  /** What every duration error tells the user to write instead. */
  static final String HINT = DurationText.HINT;

  private Durations() {}

  /** Parses {@code 500ms}, {@code 2s}, {@code 1m} or {@code 1h}; see {@link DurationText#parse}. */
  static Duration parse(String text) {
    return DurationText.parse(text);
  }

  /** Writes a duration in the largest exact unit; see {@link DurationText#format}. */
  static String format(Duration d) {
    return DurationText.format(d);
  }
}
