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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the tab-separated figures {@link LoadMain} appended over several rounds and prints, for
 * each measure and figure, the median of each target, the lowest and highest round, and the ratio
 * of the medians A/B next to the issues' goal for that ratio (see {@link #GOALS}).
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.CompareTable results.tsv lb4j haproxy
 * }</pre>
 *
 * <p>Figures that describe the run rather than the target (client load, failures) follow in a
 * second table. Output is Markdown.
 *
 * <p>Figures of a measure named {@code first-Ns} ({@code compare.sh} files there what it measured
 * on freshly started targets, named after their runs: {@code up-1 throughput}) get a row more
 * each: the ratio of the first-N-seconds figure to the same figure of the warmed target in the
 * same results ({@code up-1 throughput, first 10 s / warmed}), per target, median over median;
 * {@code n/a}, with the reason in the row's name, when the results hold no warmed figure.
 *
 * <p>Options after the labels: {@code --figures PREFIX} keeps only the figures whose name starts
 * with PREFIX and leaves out the second table; {@code --goal TEXT} puts TEXT in the goal column of
 * every row, for a comparison the default goals are not about (lb4j with 2 event loops against
 * lb4j with 1: {@code --figures "target cpu" --goal "<= 1.1"}).
 */
public final class CompareTable {

  /**
   * The goals for lb4j/HAProxy, by figure name: issue 19's where it set one (bulk, requests, the
   * handshake time at a fixed offered rate, which only paced handshakes compare), issue 8's for
   * the rest (full handshakes' CPU, memory per idle connection).
   */
  private static final Map<String, String> GOALS = Map.ofEntries(
      Map.entry("throughput", ">= 1.0"),
      Map.entry("target cpu per GB", "<= 0.75"),
      Map.entry("handshakes/s", ">= 1.0"),
      Map.entry("target cpu per hs", "<= 0.5"),
      Map.entry("requests/s", ">= 1.1"),
      Map.entry("latency p99", "<= 1.0"),
      Map.entry("latency p99.9", "<= 1.2"),
      Map.entry("target cpu per req", "<= 0.8"),
      Map.entry("rss per connection", "<= 0.5"),
      Map.entry("hs time p99", "<= 1.0"));

  /** Goals that are not ratios to HAProxy but figures of lb4j alone (issue 19). */
  private static final Map<String, String> FIRST_SECONDS_GOALS = Map.of(
      "listening after exec", "lb4j <= 500 ms",
      "throughput", "lb4j >= 0.9",
      "handshakes/s", "lb4j >= 0.9");

  private static final Pattern FIRST_SECONDS = Pattern.compile("first-([1-9][0-9]*)s");

  private record Key(String measure, String metric) {}

  /** What the command line asks for beyond the labels. */
  record Options(String figuresPrefix, String goal) {
    static final Options ALL = new Options(null, null);
  }

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
    List<String> labels = new ArrayList<>();
    String figures = null;
    String goal = null;
    for (int i = 0; i < argv.length; i++) {
      if ((argv[i].equals("--figures") || argv[i].equals("--goal")) && i + 1 < argv.length) {
        if (argv[i].equals("--figures")) {
          figures = argv[++i];
        } else {
          goal = argv[++i];
        }
      } else {
        labels.add(argv[i]);
      }
    }
    if (labels.size() < 2 || labels.size() > 3) {
      System.err.println(
          "usage: CompareTable RESULTS.tsv LABEL_A [LABEL_B] [--figures PREFIX] [--goal TEXT]");
      System.exit(2);
      return;
    }
    System.out.print(render(Files.readAllLines(Path.of(labels.get(0)), StandardCharsets.UTF_8),
        labels.get(1), labels.size() == 3 ? labels.get(2) : null, new Options(figures, goal)));
  }

  /** Returns the tables for the lines of a results file. */
  static String render(List<String> lines, String a, String b, Options options) {
    Map<Key, Row> rows = withFirstSecondsRatios(read(lines));
    if (options.figuresPrefix() != null) {
      rows.keySet().removeIf(key -> !key.metric().startsWith(options.figuresPrefix()));
      return table(rows, a, b, false, options.goal());
    }
    return table(rows, a, b, false, options.goal()) + "\n" + table(rows, a, b, true, null);
  }

  private static Map<Key, Row> read(List<String> lines) {
    Map<Key, Row> rows = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 7) {
        throw new IllegalArgumentException("not a results line: " + line);
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

  /**
   * Returns the rows with, after each compared figure of a {@code first-Ns} measure, its ratio to
   * the warmed figure of the same name.
   */
  private static Map<Key, Row> withFirstSecondsRatios(Map<Key, Row> rows) {
    Map<Key, Row> out = new LinkedHashMap<>();
    for (Map.Entry<Key, Row> e : rows.entrySet()) {
      out.put(e.getKey(), e.getValue());
      Matcher first = FIRST_SECONDS.matcher(e.getKey().measure());
      int space = e.getKey().metric().indexOf(' ');
      if (!first.matches() || space < 0 || "info".equals(e.getValue().better)
          || !Run.NAMED.matcher(e.getKey().metric().substring(0, space)).matches()) {
        continue;
      }
      String measure = e.getKey().metric().substring(0, space);
      String figure = e.getKey().metric().substring(space + 1);
      Row warmed = rows.get(new Key(measure, figure));
      Row ratio = new Row();
      ratio.unit = "ratio";
      ratio.better = e.getValue().better;
      String name = measure + " " + figure + ", first " + first.group(1) + " s / warmed";
      if (warmed == null) {
        name += " (no warmed " + measure + " in these results)";
      } else {
        for (Map.Entry<String, List<Double>> label : e.getValue().valuesByLabel.entrySet()) {
          double value = median(label.getValue())
              / median(warmed.valuesByLabel.getOrDefault(label.getKey(), List.of()));
          ratio.valuesByLabel.put(label.getKey(),
              Double.isFinite(value) ? List.of(value) : List.of());
        }
      }
      out.put(new Key(e.getKey().measure(), name), ratio);
    }
    return out;
  }

  private static String goal(Key key, String override) {
    if (override != null) {
      return override;
    }
    if (!FIRST_SECONDS.matcher(key.measure()).matches()) {
      return GOALS.getOrDefault(key.metric(), "");
    }
    if (key.metric().equals("listening after exec")) {
      return FIRST_SECONDS_GOALS.get(key.metric());
    }
    int space = key.metric().indexOf(' ');
    int comma = key.metric().indexOf(", first ");
    return space < 0 || comma < space || !key.metric().contains(" / warmed") ? ""
        : FIRST_SECONDS_GOALS.getOrDefault(key.metric().substring(space + 1, comma), "");
  }

  private static String table(Map<Key, Row> rows, String a, String b, boolean info,
      String goalOverride) {
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
          out.append(" | ").append(goal(e.getKey(), goalOverride));
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
