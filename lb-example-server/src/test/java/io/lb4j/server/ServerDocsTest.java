package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.lb4j.api.CloseReason;
import io.lb4j.api.Defaults;
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

/** docs/server.md stays true to the code: every field, default and metric is there. */
class ServerDocsTest {

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

  @Test
  void everyMetricIsDocumented() {
    ServerMetrics metrics = new ServerMetrics(List.of("echo"), () -> false);
    Set<String> names = new LinkedHashSet<>();
    for (String line : metrics.scrape(null).split("\n")) {
      if (line.startsWith("# TYPE ")) {
        names.add(line.split(" ")[2]);
      }
    }

    assertThat(names).isNotEmpty()
        .allSatisfy(name -> assertThat(docs).contains("`" + name.replaceAll("_(count|sum|max)$", "")));
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
