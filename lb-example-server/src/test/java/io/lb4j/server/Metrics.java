package io.lb4j.server;

import java.util.Arrays;

/** Reads one sample out of Prometheus text, for assertions. */
final class Metrics {

  private Metrics() {}

  /**
   * Returns the value of the sample called {@code name} whose labels include every
   * {@code key="value"} given, or NaN when there is none.
   */
  static double value(String text, String name, String... labels) {
    for (String line : text.split("\n")) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      String labelPart = close < 0 ? "" : line.substring(name.length(), close + 1);
      if (Arrays.stream(labels).allMatch(labelPart::contains)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }
}
