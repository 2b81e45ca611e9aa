package io.lb4j.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The figures a scenario measured (cases fuzzed, connections churned, bytes verified, peak
 * memory), appended to {@code target/reliability-figures.txt} and printed, for
 * docs/reliability.md. Never asserted on: the tests assert what must hold, this says how much of
 * it was checked.
 */
final class Figures {

  private static final Path FILE =
      Path.of(System.getProperty("lb4j.reliability.figures", "target/reliability-figures.txt"));

  private Figures() {}

  /** Records one line for {@code scenario}, formatted like {@link String#format}. */
  static synchronized void record(String scenario, String format, Object... args) {
    String line = Instant.now().truncatedTo(ChronoUnit.SECONDS) + " scale=" + Scale.FACTOR
        + " java=" + Runtime.version().feature() + " " + scenario + ": "
        + String.format(Locale.ROOT, format, args) + System.lineSeparator();
    System.out.print(line);
    try {
      Files.createDirectories(FILE.toAbsolutePath().getParent());
      Files.writeString(FILE, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + FILE, e);
    }
  }

  /** Formats bytes as MiB with one decimal. */
  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
