package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompareTableTest {

  private static String line(String label, int round, String measure, String metric, String unit,
      String better, double value) {
    return String.join("\t", label, Integer.toString(round), measure, metric, unit, better,
        Double.toString(value));
  }

  private static String row(String table, String start) {
    return table.lines().filter(l -> l.startsWith(start)).findFirst().orElse("(no row " + start
        + ")");
  }

  @Test
  void firstSecondsFiguresGetTheirRatioToTheWarmedMedian() {
    List<String> lines = List.of(
        line("lb4j", 1, "up-1", "throughput", "MB/s", "higher", 1000),
        line("lb4j", 2, "up-1", "throughput", "MB/s", "higher", 1200),
        line("lb4j", 3, "up-1", "throughput", "MB/s", "higher", 800),
        line("haproxy", 1, "up-1", "throughput", "MB/s", "higher", 900),
        line("lb4j", 1, "first-10s", "listening after exec", "ms", "lower", 1100),
        line("lb4j", 2, "first-10s", "listening after exec", "ms", "lower", 1300),
        line("haproxy", 1, "first-10s", "listening after exec", "ms", "lower", 20),
        line("lb4j", 1, "first-10s", "up-1 throughput", "MB/s", "higher", 850),
        line("haproxy", 1, "first-10s", "up-1 throughput", "MB/s", "higher", 900),
        line("lb4j", 1, "first-10s", "up-1 load start after exec", "ms", "info", 1200),
        line("lb4j", 1, "first-10s", "handshakes-tls13 handshakes/s", "1/s", "higher", 300));

    String table = CompareTable.render(lines, "lb4j", "haproxy", CompareTable.Options.ALL);

    // 850 over the warmed median of 1000; HAProxy's 900 over its 900.
    assertThat(row(table, "| first-10s | up-1 throughput, first 10 s / warmed |"))
        .isEqualTo("| first-10s | up-1 throughput, first 10 s / warmed | ratio | 0.850 | 1 "
            + "| 0.85 | lb4j >= 0.9 |");
    assertThat(row(table, "| first-10s | listening after exec |"))
        .contains("| 1,200 (1,100–1,300) | 20 |", "| lb4j <= 500 ms |");
    assertThat(row(table, "| first-10s | handshakes-tls13 handshakes/s, first 10 s / warmed"))
        .contains("(no warmed handshakes-tls13 in these results)", "| n/a | n/a |");
    assertThat(table).doesNotContain("listening after exec, first")
        .doesNotContain("load start after exec, first");
    assertThat(row(table, "| first-10s | up-1 load start after exec |")).contains("1,200");
  }

  @Test
  void figuresPrefixKeepsOnlyThoseRowsWithTheGivenGoal() {
    List<String> lines = List.of(
        line("lb4j", 1, "up-1", "throughput", "MB/s", "higher", 1000),
        line("lb4j", 1, "up-1", "target cpu per GB", "s/GB", "lower", 0.55),
        line("lb4j-1loop", 1, "up-1", "throughput", "MB/s", "higher", 1000),
        line("lb4j-1loop", 1, "up-1", "target cpu per GB", "s/GB", "lower", 0.5),
        line("lb4j", 1, "up-1", "client cores", "cores", "info", 0.9));

    String table = CompareTable.render(lines, "lb4j", "lb4j-1loop",
        new CompareTable.Options("target cpu", "<= 1.1"));

    assertThat(row(table, "| up-1 | target cpu per GB |"))
        .isEqualTo("| up-1 | target cpu per GB | s/GB | 0.550 | 0.500 | 1.10 | <= 1.1 |");
    assertThat(table).doesNotContain("| throughput |").doesNotContain("client cores")
        .doesNotContain("About the runs");
  }
}
