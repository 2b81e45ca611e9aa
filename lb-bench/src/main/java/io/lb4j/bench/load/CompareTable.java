package io.lb4j.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the tab-separated figures {@link LoadMain} appended over several rounds and prints, for
 * each measure and figure, the median of each target, the lowest and highest round, and the ratio
 * of the medians A/B next to issue 8's goal for that ratio.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.CompareTable results.tsv lb4j haproxy
 * }</pre>
 *
 * <p>Figures that describe the run rather than the target (client load, failures) follow in a
 * second table. Output is Markdown.
 */
public final class CompareTable {

  /**
   * Issue 8's goals for lb4j/HAProxy, by figure name, and issue 19's for the handshake time at a
   * fixed offered rate (only paced handshakes compare it; elsewhere it describes the run).
   */
  private static final Map<String, String> GOALS = Map.of(
      "throughput", ">= 1.0",
      "target cpu per GB", "<= 0.6",
      "handshakes/s", ">= 1.0",
      "target cpu per hs", "<= 0.5",
      "requests/s", ">= 1.0",
      "latency p99", "<= 1.0",
      "target cpu per req", "<= 0.8",
      "rss per connection", "<= 0.5",
      "hs time p99", "<= 1.0");

  private record Key(String measure, String metric) {}

  private static final class Row {
    String unit;
    String better;
    final Map<String, List<Double>> valuesByLabel = new LinkedHashMap<>();
  }

  private CompareTable() {}

  /**
   * Prints the table.
   *
   * @param argv {@code RESULTS.tsv LABEL_A LABEL_B}; with one label, just its medians
   */
  public static void main(String[] argv) throws IOException {
    if (argv.length < 2 || argv.length > 3) {
      System.err.println("usage: CompareTable RESULTS.tsv LABEL_A [LABEL_B]");
      System.exit(2);
      return;
    }
    Map<Key, Row> rows = read(Path.of(argv[0]));
    String a = argv[1];
    String b = argv.length == 3 ? argv[2] : null;
    System.out.print(table(rows, a, b, false));
    System.out.println();
    System.out.print(table(rows, a, b, true));
  }

  private static Map<Key, Row> read(Path file) throws IOException {
    Map<Key, Row> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 7) {
        throw new IllegalArgumentException("not a results line of " + file + ": " + line);
      }
      Row row = rows.computeIfAbsent(new Key(f[2], f[3]), k -> new Row());
      row.unit = f[4];
      row.better = f[5];
      List<Double> values = row.valuesByLabel.computeIfAbsent(f[0], k -> new ArrayList<>());
      double value = Double.parseDouble(f[6]);
      // A round that counted nothing has no figure (NaN): it is left out, not taken as zero.
      if (Double.isFinite(value)) {
        values.add(value);
      }
    }
    return rows;
  }

  private static String table(Map<Key, Row> rows, String a, String b, boolean info) {
    StringBuilder out = new StringBuilder();
    if (info) {
      out.append("About the runs (medians; not compared):\n\n");
    }
    out.append("| measure | figure | unit | ").append(a);
    if (b != null) {
      out.append(" | ").append(b).append(" | ").append(a).append('/').append(b);
      if (!info) {
        out.append(" | goal");
      }
    }
    out.append(" |\n|---|---|---|---:");
    if (b != null) {
      out.append("|---:|---:").append(info ? "" : "|---");
    }
    out.append("|\n");
    for (Map.Entry<Key, Row> e : rows.entrySet()) {
      Row row = e.getValue();
      if (info != "info".equals(row.better)) {
        continue;
      }
      List<Double> va = row.valuesByLabel.getOrDefault(a, List.of());
      out.append("| ").append(e.getKey().measure()).append(" | ").append(e.getKey().metric())
          .append(" | ").append(row.unit).append(" | ").append(cell(va));
      if (b != null) {
        List<Double> vb = row.valuesByLabel.getOrDefault(b, List.of());
        double ratio = median(va) / median(vb);
        out.append(" | ").append(cell(vb)).append(" | ")
            .append(Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2f", ratio) : "n/a");
        if (!info) {
          out.append(" | ").append(GOALS.getOrDefault(e.getKey().metric(), ""));
        }
      }
      out.append(" |\n");
    }
    return out.toString();
  }

  /** The median, and the range when there is more than one round. */
  private static String cell(List<Double> values) {
    if (values.isEmpty()) {
      return "n/a";
    }
    String median = Measurement.number(median(values));
    if (values.size() == 1) {
      return median;
    }
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    return median + " (" + Measurement.number(min) + "–" + Measurement.number(max) + ")";
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
