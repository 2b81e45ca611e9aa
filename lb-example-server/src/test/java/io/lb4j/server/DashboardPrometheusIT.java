package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lb4j.api.Host;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped dashboard and alerting rules against a real Prometheus scraping the packaged server:
 * after traffic that is forwarded, refused as unauthorized, refused as revoked and refused for want
 * of a host, every expression of every dashboard panel returns data, and every alerting rule loads
 * and evaluates.
 */
@Timeout(120)
class DashboardPrometheusIT {

  /** What the dashboard's variables stand for in the queries: every upstream, a minute's rate. */
  private static final String ALL_UPSTREAMS = ".*";
  private static final String RATE_INTERVAL = "1m";

  @TempDir static Path dir;
  private static ServerFixture f;
  private static Process prometheus;
  private static Path prometheusLog;
  private static String prometheusUrl;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void serveScrapeAndDriveTraffic() throws Exception {
    Monitoring.assumePrometheus("prometheus");
    f = new ServerFixture(dir);
    IssuedCertificate eve = f.pki.client("eve");
    TestPki.writeCrlPem(dir.resolve("ca.crl.pem"), f.pki.crl(eve.certificate().getSerialNumber()));
    EchoUpstream echo = f.echo();
    Host refusing = Upstreams.refusing();
    Host noRedis = Upstreams.refusing();
    int echoPort = ServerFixture.freePort();
    int downPort = ServerFixture.freePort();
    int adminPort = ServerFixture.freePort();
    f.writeConfig(ServerFixture.tlsSection() + """
          crl: ca.crl.pem
        upstreams:
          - name: echo
            listen: 127.0.0.1:%d
            hosts: %s
            allow: [alice]
          - name: down
            listen: 127.0.0.1:%d
            hosts: [%s]
            allow: [alice]
        rateLimit:
          default: {connectionsPerSecond: 100, burst: 100}
          clients:
            alice: {connectionsPerSecond: 100, burst: 100, maxConcurrent: 10}
          redis: {uri: "redis://%s", failOpen: true, commandTimeout: 200ms}
        admin:
          listen: 127.0.0.1:%d
        """.formatted(echoPort, ServerFixture.hostList(List.of(echo)), downPort, refusing,
        noRedis, adminPort));
    JarProcess server = f.track(JarProcess.start(dir, "--config", "lb.yaml"));
    startPrometheus(adminPort);
    server.awaitStdout("admin listener on", Duration.ofSeconds(60));

    InetSocketAddress echoAddress = new InetSocketAddress("127.0.0.1", echoPort);
    try (SSLSocket alice = TlsClient.connect(echoAddress, f.pki.clientContext(f.alice), null)) {
      assertThat(TlsClient.roundTrip(alice, "scraped\n")).isEqualTo("scraped\n");
    }
    try (SSLSocket mallory = TlsClient.connect(echoAddress, f.pki.clientContext(f.mallory), null)) {
      assertThat(TlsClient.closedWithoutAnswer(mallory)).isTrue();
    }
    refusedInOrAfterHandshake(echoAddress, eve);
    try (SSLSocket alice = TlsClient.connect(
        new InetSocketAddress("127.0.0.1", downPort), f.pki.clientContext(f.alice), null)) {
      assertThat(TlsClient.closedWithoutAnswer(alice)).isTrue();
    }
  }

  private static void refusedInOrAfterHandshake(InetSocketAddress address, IssuedCertificate who) {
    try (SSLSocket s = TlsClient.connect(address, f.pki.clientContext(who), null)) {
      assertThat(TlsClient.closedWithoutAnswer(s)).isTrue();
    } catch (IOException | RuntimeException refusedInHandshake) {
      // TLS 1.2 clients hear of it during the handshake, TLS 1.3 clients right after it.
    }
  }

  private static void startPrometheus(int adminPort) throws IOException {
    int port = ServerFixture.freePort();
    Path config = Files.writeString(dir.resolve("prometheus.yml"), """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - %s
        scrape_configs:
          - job_name: lb4j
            static_configs:
              - targets: ['127.0.0.1:%d']
        """.formatted(Monitoring.dir().resolve(Monitoring.ALERTS), adminPort));
    prometheusLog = dir.resolve("prometheus.log");
    prometheus = new ProcessBuilder("prometheus",
        "--config.file=" + config,
        "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("tsdb")),
        "--web.listen-address=127.0.0.1:" + port)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(prometheusLog.toFile())
        .start();
    prometheusUrl = "http://127.0.0.1:" + port;
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .failFast("prometheus exited; its output: " + prometheusLog, () -> !prometheus.isAlive())
        .ignoreExceptions()
        .until(() -> get("/-/ready").statusCode() == 200);
  }

  @AfterAll
  static void stopAll() throws Exception {
    try {
      if (prometheus != null && prometheus.isAlive()) {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
          prometheus.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      if (f != null) {
        f.close();
      }
    }
  }

  @Test
  void everyDashboardPanelQueryReturnsData() {
    List<Monitoring.PanelQuery> queries = Monitoring.dashboardQueries();
    assertThat(queries).hasSizeGreaterThan(10);
    // Wait for the scrapes that follow the traffic: then every panel must have something to show.
    awaitSample("sum(lb4j_connections_total{outcome=\"no_host\"})");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      List<String> empty = new ArrayList<>();
      for (Monitoring.PanelQuery q : queries) {
        if (query(substituteVariables(q.expr())).isEmpty()) {
          empty.add(q.panel() + ": " + q.expr());
        }
      }
      assertThat(empty).as("dashboard queries that return nothing from Prometheus").isEmpty();
    });
  }

  @Test
  void theUpstreamVariableListsTheConfiguredUpstreams() {
    JsonNode variable = null;
    for (JsonNode v : Monitoring.json(Monitoring.DASHBOARD).path("templating").path("list")) {
      if (v.path("name").asText().equals("upstream")) {
        variable = v;
      }
    }
    assertThat(variable).as("the dashboard's upstream variable").isNotNull();
    String definition = variable.path("definition").asText();
    assertThat(definition).matches("label_values\\(\\w+, upstream\\)");
    String metric = definition.substring("label_values(".length(), definition.indexOf(','));

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      JsonNode values = api("/api/v1/label/upstream/values?match[]=" + encode(metric));
      Set<String> names = new HashSet<>();
      values.forEach(v -> names.add(v.asText()));
      assertThat(names).contains("echo", "down");
    });
  }

  @Test
  void theTrafficShowsInThePanelsQueries() {
    awaitSample("sum(lb4j_connections_total{outcome=\"no_host\"})");
    assertThat(value("sum(lb4j_connections_total{upstream=\"echo\", outcome=\"forwarded\"})"))
        .isEqualTo(1);
    assertThat(value("sum(lb4j_connections_total{upstream=\"echo\", outcome=\"unauthorized\"})"))
        .isEqualTo(1);
    assertThat(value("sum(lb4j_connections_total{outcome=\"tls_failed\", cause=\"revoked\"})"))
        .isEqualTo(1);
    assertThat(value("sum(lb4j_connections_total{upstream=\"down\", outcome=\"no_host\"})"))
        .isEqualTo(1);
    assertThat(value("sum(lb4j_traffic_bytes_total{upstream=\"echo\", direction=\"to_client\"})"))
        .isEqualTo("scraped\n".length());
    assertThat(value("sum(lb4j_host_up{upstream=\"down\"})")).isZero();
    assertThat(value("sum(lb4j_host_up{upstream=\"echo\"})")).isEqualTo(1);
    assertThat(value("max(lb4j_ratelimit_redis_available)")).isZero();
    assertThat(value("min(lb4j_tls_crl_next_update_seconds) - time()")).isPositive();
    assertThat(value("max(process_files_open_files / process_files_max_files)"))
        .isGreaterThan(0).isLessThan(1);
  }

  @Test
  void everyAlertingRuleIsLoadedAndEvaluatesWithoutError() {
    List<String> alerts = Monitoring.alertNames();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      List<String> loaded = new ArrayList<>();
      List<String> unhealthy = new ArrayList<>();
      for (JsonNode group : api("/api/v1/rules?type=alert").path("groups")) {
        for (JsonNode rule : group.path("rules")) {
          loaded.add(rule.path("name").asText());
          if (!rule.path("health").asText().equals("ok")) {
            unhealthy.add(rule.path("name").asText() + ": " + rule.path("health").asText()
                + " " + rule.path("lastError").asText());
          }
        }
      }
      assertThat(loaded).containsExactlyInAnyOrderElementsOf(alerts);
      assertThat(unhealthy).isEmpty();
    });
  }

  @Test
  void alertsOfTheRefusedTrafficBecomeActive() {
    // Their "for" durations are minutes, so they are pending here; what matters is that the rules
    // match the server's real series and labels.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Set<String> active = new HashSet<>();
      for (JsonNode alert : api("/api/v1/alerts").path("alerts")) {
        JsonNode labels = alert.path("labels");
        active.add(labels.path("alertname").asText() + " " + labels.path("upstream").asText());
      }
      assertThat(active).contains("Lb4jHostDown down", "Lb4jNoHealthyHost down",
          "Lb4jRedisUnavailable ");
      assertThat(active).doesNotContain("Lb4jHostDown echo", "Lb4jNoHealthyHost echo");
    });
  }

  private static String substituteVariables(String expr) {
    String out = expr.replace("$upstream", ALL_UPSTREAMS).replace("$__rate_interval", RATE_INTERVAL);
    assertThat(out).as("a dashboard query with a variable the test does not know").doesNotContain("$");
    return out;
  }

  private static void awaitSample(String expr) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(() -> !query(expr).isEmpty() && value(expr) >= 1);
  }

  private static double value(String expr) {
    JsonNode result = query(expr);
    assertThat(result).as("%s returns one sample", expr).hasSize(1);
    return Double.parseDouble(result.get(0).path("value").get(1).asText());
  }

  /** The result of an instant query: an array of samples, empty when the query has no data. */
  private static JsonNode query(String expr) {
    return api("/api/v1/query?query=" + encode(expr)).path("result");
  }

  private static JsonNode api(String pathAndQuery) {
    HttpResponse<String> response = get(pathAndQuery);
    try {
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.path("status").asText())
          .as("%s answered %s %s", pathAndQuery, response.statusCode(), response.body())
          .isEqualTo("success");
      return body.path("data");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static HttpResponse<String> get(String pathAndQuery) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(prometheusUrl + pathAndQuery))
              .timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
