package io.lb4j.bench.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What one measure found: named figures, printed for a person and appended as tab-separated
 * lines for {@link CompareTable}.
 *
 * <p>Each tab-separated line is {@code label round measure metric unit better value}, where
 * {@code better} is {@code higher} or {@code lower}, or {@code info} for a figure that describes
 * the run rather than the target (how busy the client was, how many errors).
 */
final class Measurement {

  enum Better { HIGHER, LOWER, INFO }

  record Figure(String metric, double value, String unit, Better better) {}

  private final String measure;
  private final String description;
  private final List<Figure> figures = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private CpuWindow.Span window;

  Measurement(String measure, String description) {
    this.measure = measure;
    this.description = description;
  }

  /** Records the measured window, for figures taken from elsewhere over the same time. */
  Measurement window(CpuWindow.Span span) {
    this.window = span;
    return this;
  }

  /** The measured window, or null if the measure did not record it. */
  CpuWindow.Span window() {
    return window;
  }

  /** Returns the value of the figure named {@code metric}, or NaN if there is none. */
  double value(String metric) {
    return figures.stream().filter(f -> f.metric().equals(metric)).mapToDouble(Figure::value)
        .findFirst().orElse(Double.NaN);
  }

  String measure() {
    return measure;
  }

  List<Figure> figures() {
    return figures;
  }

  Measurement add(String metric, double value, String unit, Better better) {
    figures.add(new Figure(metric, value, unit, better));
    return this;
  }

  Measurement note(String note) {
    notes.add(note);
    return this;
  }

  /**
   * Returns this measurement filed under another measure: each figure's name starts with this
   * measure's name ({@code up-1 throughput}), so that several measures can share one row group,
   * such as the runs {@code compare.sh} makes on a freshly started target ({@code first-10s}).
   */
  Measurement filedUnder(String otherMeasure) {
    Measurement filed = new Measurement(otherMeasure, measure + ": " + description);
    for (Figure f : figures) {
      filed.add(measure + " " + f.metric(), f.value(), f.unit(), f.better());
    }
    filed.notes.addAll(notes);
    return filed;
  }

  /** Returns the report for a person: the measure, then one figure a line. */
  String format() {
    StringBuilder out = new StringBuilder();
    out.append(measure).append(": ").append(description).append('\n');
    for (Figure f : figures) {
      out.append(String.format(Locale.ROOT, "  %-26s %14s %s%n", f.metric(), number(f.value()),
          f.unit()));
    }
    for (String note : notes) {
      out.append("  note: ").append(note).append('\n');
    }
    return out.toString();
  }

  /** Appends the tab-separated lines to {@code file}, creating it if needed. */
  void append(Path file, String label, int round) {
    StringBuilder lines = new StringBuilder();
    for (Figure f : figures) {
      lines.append(String.join("\t", label, Integer.toString(round), measure, f.metric(), f.unit(),
          f.better().name().toLowerCase(Locale.ROOT), Double.toString(f.value()))).append('\n');
    }
    try {
      Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append results to " + file, e);
    }
  }

  /** Returns {@code total / units}, or NaN when nothing was counted. */
  static double per(double total, double units) {
    return units == 0 ? Double.NaN : total / units;
  }

  /** Returns a percentile of a histogram of nanoseconds in milliseconds, or NaN when empty. */
  static double millis(Histogram nanos, double percentile) {
    return nanos.getTotalCount() == 0 ? Double.NaN : nanos.getValueAtPercentile(percentile) / 1e6;
  }

  /** Formats with three significant digits or so: enough for noisy measurements. */
  static String number(double value) {
    if (!Double.isFinite(value)) {
      return "n/a";
    }
    double magnitude = Math.abs(value);
    if (magnitude >= 1000 || (value == Math.rint(value) && magnitude < 1e15)) {
      // Counts, and anything large enough that decimals are noise.
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    if (magnitude >= 100) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    if (magnitude >= 10) {
      return String.format(Locale.ROOT, "%.2f", value);
    }
    return String.format(Locale.ROOT, "%.3f", value);
  }
}
