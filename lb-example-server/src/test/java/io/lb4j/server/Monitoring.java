package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The files of the repository's {@code monitoring/} folder (the Grafana dashboard and the
 * Prometheus alerting rules with their unit tests), read as the tests need them, and Prometheus's
 * tools run on them.
 */
final class Monitoring {

  static final String DASHBOARD = "lb4j-dashboard.json";
  static final String ALERTS = "lb4j-alerts.yml";
  static final String ALERT_TESTS = "lb4j-alerts.test.yml";

  private Monitoring() {}

  /** The folder, from the build (lb4j.monitoring.dir). */
  static Path dir() {
    String dir = System.getProperty("lb4j.monitoring.dir");
    if (dir == null) {
      throw new IllegalStateException("lb4j.monitoring.dir is not set: run the tests through Maven");
    }
    return Path.of(dir).toAbsolutePath().normalize();
  }

  static JsonNode yaml(String file) {
    return read(new ObjectMapper(new YAMLFactory()), file);
  }

  static JsonNode json(String file) {
    return read(new ObjectMapper(), file);
  }

  private static JsonNode read(ObjectMapper mapper, String file) {
    try {
      return mapper.readTree(dir().resolve(file).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names of the alerts of {@link #ALERTS}, in file order. */
  static List<String> alertNames() {
    List<String> names = new ArrayList<>();
    for (JsonNode group : yaml(ALERTS).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (rule.hasNonNull("alert")) {
          names.add(rule.get("alert").asText());
        }
      }
    }
    return names;
  }

  /** A PromQL expression of a dashboard panel, with the title of its panel for messages. */
  record PanelQuery(String panel, String expr) {}

  /** Every target expression of every panel of the dashboard, rows' nested panels included. */
  static List<PanelQuery> dashboardQueries() {
    List<PanelQuery> queries = new ArrayList<>();
    collect(json(DASHBOARD).path("panels"), queries);
    return queries;
  }

  private static void collect(JsonNode panels, List<PanelQuery> into) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        into.add(new PanelQuery(panel.path("title").asText(), target.path("expr").asText()));
      }
      collect(panel.path("panels"), into);
    }
  }

  /** Skips (fails under CI) when Prometheus's tools are not installed. */
  static void assumePrometheus(String binary) {
    Peers.assumeAvailable(Peers.onPath(binary), binary,
        () -> "no " + binary + " on the PATH (Debian's prometheus package has it)");
  }

  /** Output and exit status of a finished command. */
  record Result(int exit, String output) {}

  /** Runs {@code command} in the monitoring folder, for at most a minute. */
  static Result run(String... command) {
    try {
      Path out = Files.createTempFile("promtool", ".txt");
      try {
        Process p = new ProcessBuilder(command)
            .directory(dir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(String.join(" ", command) + " did not finish within a minute");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void assertSucceeds(String... command) {
    Result r = run(command);
    assertThat(r.exit()).as("%s exits 0; it printed:%n%s", String.join(" ", command), r.output())
        .isZero();
  }
}
