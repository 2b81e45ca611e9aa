package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.lb4j.api.CloseReason;
import io.lb4j.api.Defaults;
import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.HostSource;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import io.lb4j.api.RefusalReason;
import io.lb4j.impl.balancing.Strategies;
import io.lb4j.micrometer.ConnectionMetrics;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/server.md stays true to the code (every field, default, outcome and close reason is there),
 * and docs/operations.md lists exactly the metrics a server exposes, with their labels.
 */
class ServerDocsTest {

  private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

  private static String docs;

  @BeforeAll
  static void read() throws IOException {
    Path file = Path.of("").toAbsolutePath().getParent().resolve("docs/server.md");
    docs = Files.readString(file);
  }

  /** Returns the documentation table row of a field. */
  private static String row(String field) {
    return docs.lines().filter(l -> l.startsWith("| `" + field + "` |")).findFirst()
        .orElseThrow(() -> new AssertionError("docs/server.md has no table row for " + field));
  }

  @Test
  void everyConfigurationFieldIsDocumented() {
    Set<String> fields = new LinkedHashSet<>();
    collect(ConfigFile.class, fields);

    assertThat(fields).isNotEmpty().allSatisfy(f -> assertThat(docs).contains("`" + f + "`"));
  }

  private static void collect(Class<?> type, Set<String> into) {
    for (RecordComponent c : type.getRecordComponents()) {
      JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
      if (renamed == null) {
        renamed = c.getAnnotation(JsonProperty.class);
      }
      into.add(renamed != null ? renamed.value() : c.getName());
      Class<?> nested = c.getType();
      Type generic = c.getGenericType();
      if ((nested == List.class || nested == Map.class) && generic instanceof ParameterizedType p) {
        Type[] args = p.getActualTypeArguments();
        nested = (Class<?>) args[args.length - 1];
      }
      if (nested.isRecord()) {
        collect(nested, into);
      }
    }
  }

  @Test
  void documentedDefaultsAreTheLibrarysDefaults() {
    Map<String, Duration> defaults = Map.of(
        "connectTimeout", Defaults.CONNECT_TIMEOUT,
        "idleTimeout", Defaults.IDLE_TIMEOUT,
        "passiveDownTime", Defaults.PASSIVE_DOWN_TIME,
        "slowStart", Defaults.SLOW_START,
        "handshakeTimeout", Defaults.HANDSHAKE_TIMEOUT,
        "commandTimeout", Defaults.RATE_LIMIT_REDIS_COMMAND_TIMEOUT);
    defaults.forEach((field, value) ->
        assertThat(row(field)).as(field).endsWith("| `" + Durations.format(value) + "` |"));
    assertThat(row("connectAttempts")).endsWith("| `" + Defaults.CONNECT_ATTEMPTS + "` |");
    assertThat(row("keyPrefix")).endsWith("| `" + Defaults.RATE_LIMIT_REDIS_KEY_PREFIX + "` |");
    assertThat(row("strategy")).endsWith("| `" + Strategies.names().get(0) + "` |");
    assertThat(docs).contains("Default `" + Durations.format(Defaults.DRAIN_TIMEOUT) + "`.");
  }

  /**
   * Features whose meters this class does not start, named as the table's meaning begins ("with
   * `rateLimit.redis` only"): their rows may be absent from the scrape. Redis needs a real server;
   * RedisRateLimitTest and FleetCapAcrossServersTest read those meters.
   */
  private static final Set<String> NOT_STARTED = Set.of("rateLimit.redis");

  @Test
  void operationsTableListsEveryMetricOfTheScrapeWithItsLabels(@TempDir Path dir)
      throws Exception {
    TestPki pki = TestPki.create();
    pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    pki.writeCaPem(dir.resolve("ca.pem"));
    Path crl = TestPki.writeCrlPem(dir.resolve("ca.crl"), pki.crl());
    try (EchoUpstream host = Upstreams.echo();
        PemTlsContextFactory tls = PemTlsContextFactory.builder()
            .certificateChain(dir.resolve("server.pem"))
            .privateKey(dir.resolve("server-key.pem"))
            .clientCa(dir.resolve("ca.pem"))
            .crls(List.of(crl))
            .build()) {
      HostSource named = (upstream, sink) -> {
        sink.publish(List.of(new DiscoveredHost(host.host(), 1, "found.example")));
        return () -> {};
      };
      LoadBalancer lb = LoadBalancer.builder()
          .upstream(Upstream.builder("echo").hosts(List.of(host.host())).build(), ANY_PORT)
          .upstream(Upstream.builder("found").discover(named).build(), ANY_PORT)
          .build()
          .start();
      try {
        ServerMetrics metrics = new ServerMetrics(List.of("echo", "found"), () -> false);
        metrics.bind(lb, null);
        metrics.bindServerCertificate(tls);
        metrics.bindRevocationLists(tls);
        metrics.bindOcsp(tls);
        // Discovery publishes on the load balancer's own thread; its gauges follow.
        Map<String, Set<String>> scraped = await().atMost(Duration.ofSeconds(10))
            .until(() -> labelsByMetric(metrics.scrape(lb)),
                m -> m.containsKey("lb4j_host_discovered"));

        assertThat(differences(scraped, operationsTable())).isEmpty();
      } finally {
        lb.close();
      }
    }
  }

  /** Each documented metric's labels, from the table under "Every metric" in operations.md. */
  private static Map<String, Row> operationsTable() throws IOException {
    Path file = Path.of("").toAbsolutePath().getParent().resolve("docs/operations.md");
    List<String> lines = Files.readAllLines(file);
    int header = lines.indexOf("| metric | type | labels | meaning |");
    assertThat(header).as("the metric table of docs/operations.md").isNotNegative();
    Map<String, Row> rows = new TreeMap<>();
    for (String line : lines.subList(header + 2, lines.size())) {
      if (!line.startsWith("|")) {
        break;
      }
      String[] cells = line.substring(1).split("\\|", 4);
      assertThat(cells).as("cells of the row " + line).hasSize(4);
      cells[3] = cells[3].strip();
      // Label values are given in parentheses after the label: only the names are compared.
      Set<String> labels = new TreeSet<>(quoted(cells[2].replaceAll("\\([^)]*\\)", "")));
      for (String name : quoted(cells[0])) {
        rows.put(name, new Row(labels, cells[3]));
      }
    }
    return rows;
  }

  private record Row(Set<String> labels, String meaning) {}

  private static List<String> quoted(String cell) {
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("`([^`]+)`").matcher(cell);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /**
   * Returns the label names of each metric family of a Prometheus text scrape; a timer's
   * {@code _max} gauge is folded into the timer.
   */
  private static Map<String, Set<String>> labelsByMetric(String scrape) {
    Map<String, Set<String>> families = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        families.put(line.split(" ")[2], new TreeSet<>());
      }
    }
    Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
    for (String line : scrape.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      int brace = line.indexOf('{');
      String sample = brace < 0 ? line.substring(0, line.indexOf(' ')) : line.substring(0, brace);
      String family = families.containsKey(sample) ? sample
          : sample.replaceAll("_(count|sum|total|bucket)$", "");
      Set<String> labels = families.computeIfAbsent(family, f -> new TreeSet<>());
      if (brace >= 0) {
        Matcher m = label.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.add(m.group(1));
        }
      }
    }
    Map<String, Set<String>> metrics = new TreeMap<>();
    families.forEach((name, labels) -> {
      String timer = name.endsWith("_max") ? name.substring(0, name.length() - 4) : null;
      metrics.computeIfAbsent(timer != null && families.containsKey(timer) ? timer : name,
          n -> new TreeSet<>()).addAll(labels);
    });
    return metrics;
  }

  private static List<String> differences(Map<String, Set<String>> scraped, Map<String, Row> table) {
    List<String> problems = new ArrayList<>();
    scraped.forEach((name, labels) -> {
      Row row = table.get(name);
      if (row == null) {
        problems.add(name + " " + labels + " is scraped but not in docs/operations.md");
      } else if (!row.labels().equals(labels)) {
        problems.add(name + " has labels " + labels + " but docs/operations.md says " + row.labels());
      }
    });
    table.forEach((name, row) -> {
      boolean notStarted = NOT_STARTED.stream()
          .anyMatch(f -> row.meaning().startsWith("with `" + f + "` only"));
      if (!scraped.containsKey(name) && !notStarted) {
        problems.add(name + " is in docs/operations.md but not scraped");
      }
    });
    return problems;
  }

  @Test
  void everyOutcomeAndCloseReasonIsDocumented() {
    for (RefusalReason r : RefusalReason.values()) {
      assertThat(docs).contains("`" + ConnectionMetrics.outcome(r) + "`");
    }
    for (CloseReason r : CloseReason.values()) {
      assertThat(docs).contains("`" + r.name().toLowerCase(Locale.ROOT) + "`");
    }
  }
}
