package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.server.AdminClient.Answer;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API of the reference server, driven over mTLS by the JDK's HTTP client: every
 * endpoint, the refusals of bad requests and of identities the allow list does not name, and the
 * audit line of every change.
 */
@Timeout(120)
class AdminApiTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture audit;
  private LogCapture access;
  private List<EchoUpstream> hosts;
  private LbServer server;
  private IssuedCertificate sre;
  private AdminClient asSre;

  static String config(List<EchoUpstream> hosts) {
    return ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        rateLimit:
          default: {connectionsPerSecond: 0.001, burst: 5, maxConcurrent: 10}
        admin:
          listen: 127.0.0.1:0
          tls: main
          allow: ["group:sre"]
        """.formatted(ServerFixture.hostList(hosts));
  }

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    audit = new LogCapture(AdminApi.AUDIT_LOGGER);
    access = new LogCapture(ConnectionLog.LOGGER);
    hosts = f.echoes(2);
    server = f.start(config(hosts));
    sre = f.pki.client(ClientSpec.commonName("bob").groups("sre").build());
    asSre = new AdminClient(server.adminAddress(), f.pki.clientContext(sre));
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    audit.close();
    access.close();
  }

  private String hostPath(EchoUpstream h) {
    return "/api/upstreams/echo/hosts/" + h.host() + "/";
  }

  private JsonNode hostJson(EchoUpstream h) {
    for (JsonNode node : asSre.get("/api/upstreams/echo").json().get("hosts")) {
      if (node.get("address").asText().equals(h.host().toString())) {
        return node;
      }
    }
    throw new AssertionError("no host " + h.host());
  }

  @Test
  void listsUpstreamsWithTheirHosts() {
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "hi\n")).isEqualTo("hi\n");

    Answer all = asSre.get("/api/upstreams");

    assertThat(all.status()).isEqualTo(200);
    JsonNode echo = all.json().get("upstreams").get(0);
    assertThat(echo.get("name").asText()).isEqualTo("echo");
    assertThat(echo.get("hosts")).hasSize(2).allSatisfy(h -> {
      assertThat(h.get("state").asText()).isEqualTo("up");
      assertThat(h.get("admin").asText()).isEqualTo("enabled");
      assertThat(h.get("weight").asInt()).isEqualTo(1);
      assertThat(h.get("slowStartShare").asDouble()).isEqualTo(1.0);
      assertThat(h.get("healthCheck").isNull()).isTrue();
    });
    int active = 0;
    for (JsonNode h : echo.get("hosts")) {
      active += h.get("activeConnections").asInt();
    }
    assertThat(active).isEqualTo(1);
    assertThat(asSre.get("/api/upstreams/echo").json()).isEqualTo(echo);
    Answer unknown = asSre.get("/api/upstreams/nope");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.error()).isEqualTo("no upstream named 'nope'");
  }

  @Test
  void drainKeepsOpenConnectionsAndSendsNewOnesElsewhere() {
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "one\n")).isEqualTo("one\n");
    EchoUpstream used = hosts.get(0).acceptedConnections() == 1 ? hosts.get(0) : hosts.get(1);
    EchoUpstream other = used == hosts.get(0) ? hosts.get(1) : hosts.get(0);

    Answer drained = asSre.send("PUT", hostPath(used) + "state", "{\"state\": \"drain\"}");

    assertThat(drained.status()).isEqualTo(200);
    assertThat(drained.json().get("before").asText()).isEqualTo("enabled");
    assertThat(drained.json().get("after").asText()).isEqualTo("draining");
    for (int i = 0; i < 3; i++) {
      assertThat(TlsClient.roundTrip(f.connect(server, "echo", f.alice), "x\n")).isEqualTo("x\n");
    }
    assertThat(other.acceptedConnections()).isEqualTo(3);
    assertThat(TlsClient.roundTrip(open, "two\n")).as("the open one goes on").isEqualTo("two\n");
    assertThat(hostJson(used).get("state").asText()).isEqualTo("draining");
    assertThat(audit.messages()).containsExactly(
        "who=bob@127.0.0.1:" + auditPort(0) + " action=state upstream=echo host=" + used.host()
            + " before=enabled after=draining");
  }

  /** The client port the audit line names, which the test cannot know beforehand. */
  private String auditPort(int line) {
    String m = audit.messages().get(line);
    return m.substring(m.indexOf("@127.0.0.1:") + 11, m.indexOf(' '));
  }

  @Test
  void disableClosesOpenConnectionsAfterTheGraceAndEnableBringsTheHostBack() {
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "one\n")).isEqualTo("one\n");
    EchoUpstream used = hosts.get(0).acceptedConnections() == 1 ? hosts.get(0) : hosts.get(1);

    Answer disabled = asSre.send("PUT", hostPath(used) + "state",
        "{\"state\": \"disable\", \"grace\": \"300ms\"}");

    assertThat(disabled.status()).isEqualTo(200);
    assertThat(disabled.json().get("grace").asText()).isEqualTo("300ms");
    assertThat(readUntilClosed(open)).as("closed after the grace, nothing more sent").isEqualTo(-1);
    await().until(() -> access.messages().stream().anyMatch(m -> m.contains("close=admin_disabled")));
    assertThat(hostJson(used).get("state").asText()).isEqualTo("disabled");
    assertThat(audit.messages().get(0)).endsWith(
        "action=state upstream=echo host=" + used.host() + " before=enabled after=disabled grace=300ms");

    Answer enabled = asSre.send("PUT", hostPath(used) + "state", "{\"state\": \"enable\"}");
    assertThat(enabled.json().get("before").asText()).isEqualTo("disabled");
    assertThat(hostJson(used).get("state").asText()).isEqualTo("up");
  }

  /** Reads one byte from a connection that is expected to be closed by the server. */
  private static int readUntilClosed(SSLSocket s) {
    try {
      return s.getInputStream().read();
    } catch (javax.net.ssl.SSLException | java.net.SocketException closed) {
      return -1;
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void weightIsSetAndShownInTheHostsAndTheConfiguration() {
    EchoUpstream h = hosts.get(1);

    Answer set = asSre.send("PUT", hostPath(h) + "weight", "{\"weight\": 3}");

    assertThat(set.status()).isEqualTo(200);
    assertThat(set.json().get("before").asInt()).isEqualTo(1);
    assertThat(set.json().get("after").asInt()).isEqualTo(3);
    assertThat(hostJson(h).get("weight").asInt()).isEqualTo(3);
    JsonNode configured = asSre.get("/api/config").json().get("upstreams").get(0).get("hosts");
    assertThat(configured.get(1).get("weight").asInt()).isEqualTo(3);
    assertThat(audit.messages().get(0)).endsWith(
        "action=weight upstream=echo host=" + h.host() + " before=1 after=3");
  }

  @Test
  void badRequestsGetOneLineOfJsonAndChangeNothing() {
    String state = hostPath(hosts.get(0)) + "state";
    String weight = hostPath(hosts.get(0)) + "weight";
    assertBad(asSre.send("PUT", state, "{\"state\": "), 400, "malformed JSON: ");
    assertBad(asSre.send("PUT", state, "[1]"), 400, "the body must be a JSON object");
    assertBad(asSre.send("PUT", state, "{\"state\": \"sleep\"}"), 400,
        "state 'sleep' is not drain, disable or enable");
    assertBad(asSre.send("PUT", state, "{\"state\": \"drain\", \"why\": 1}"), 400,
        "unknown field 'why' (known: grace, state)");
    assertBad(asSre.send("PUT", state, "{\"state\": \"disable\", \"grace\": \"soon\"}"), 400,
        "grace: 'soon' is not a duration");
    assertBad(asSre.send("PUT", state, "{\"state\": \"drain\", \"grace\": \"1s\"}"), 400,
        "grace applies to disable only");
    assertBad(asSre.send("PUT", "/api/upstreams/echo/hosts/127.0.0.1:1/state",
        "{\"state\": \"drain\"}"), 404, "no host 127.0.0.1:1 in upstream 'echo'");
    assertBad(asSre.send("PUT", "/api/upstreams/nope/hosts/127.0.0.1:1/state",
        "{\"state\": \"drain\"}"), 404, "no upstream named 'nope'");
    assertBad(asSre.send("PUT", "/api/upstreams/echo/hosts/nohost/state",
        "{\"state\": \"drain\"}"), 400, "'nohost' is not a host:port");
    assertBad(asSre.send("PUT", weight, "{\"weight\": 0}"), 400, "weight must be from 1 to");
    assertBad(asSre.send("PUT", weight, "{\"weight\": \"3\"}"), 400, "weight is required");
    assertBad(asSre.send("PUT", weight, "{\"weight\": 2.5}"), 400, "weight is required");
    assertBad(asSre.send("PUT", state, "{\"state\": \"drain\", \"pad\": \""
        + "x".repeat(AdminServer.MAX_BODY) + "\"}"), 413, "request body is larger than");
    Answer wrongMethod = asSre.send("POST", state, "{\"state\": \"drain\"}");
    assertBad(wrongMethod, 405, "method POST not allowed here; use PUT");
    assertThat(wrongMethod.allow()).isEqualTo("PUT");
    assertBad(asSre.get("/api/nothing"), 404, "no such endpoint: /api/nothing");

    for (EchoUpstream h : hosts) {
      assertThat(hostJson(h).get("admin").asText()).isEqualTo("enabled");
      assertThat(hostJson(h).get("weight").asInt()).isEqualTo(1);
    }
    assertThat(audit.messages()).isEmpty();
  }

  private static void assertBad(Answer a, int status, String errorStart) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(a.body()).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
    assertThat(a.error()).startsWith(errorStart);
  }

  @Test
  void anIdentityTheAllowListDoesNotNameReadsMetricsButNotTheApi() {
    AdminClient asAlice = new AdminClient(server.adminAddress(), f.pki.clientContext(f.alice));

    Answer refused = asAlice.send("PUT", hostPath(hosts.get(0)) + "state", "{\"state\": \"drain\"}");

    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.error()).isEqualTo("alice may not use the admin API");
    assertThat(asAlice.get("/api/upstreams").status()).isEqualTo(403);
    assertThat(asAlice.get("/metrics").status()).isEqualTo(200);
    assertThat(asAlice.get("/healthz").body()).isEqualTo("ok\n");
    assertThat(hostJson(hosts.get(0)).get("admin").asText()).isEqualTo("enabled");
    assertThat(audit.messages()).hasSize(2).first().asString()
        .startsWith("who=alice@127.0.0.1:")
        .endsWith(" action=\"PUT " + hostPath(hosts.get(0)) + "state\" outcome=denied");
  }

  @Test
  void aClientWithoutCertificateIsRefusedAtTheHandshake() {
    AdminClient anonymous = new AdminClient(server.adminAddress(), f.pki.clientContext());
    assertThatThrownBy(() -> anonymous.get("/api/upstreams")).isInstanceOf(UncheckedIOException.class);
    AdminClient plain = new AdminClient(server.adminAddress(), null);
    assertThatThrownBy(() -> plain.get("/healthz")).isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void clientLimitsAreReadAndReset() {
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "hi\n")).isEqualTo("hi\n");

    JsonNode alice = asSre.get("/api/clients/alice").json();
    assertThat(alice.get("remembered").asBoolean()).isTrue();
    assertThat(alice.get("tokensLeft").asLong()).isEqualTo(4);
    assertThat(alice.get("connectionsHeld").asInt()).isEqualTo(1);
    assertThat(alice.get("maxConcurrent").asInt()).isEqualTo(10);
    assertThat(alice.get("fleetConnectionsHeld").isNull()).as("a local limiter has no fleet").isTrue();
    assertThat(asSre.get("/api/clients/carol").json().get("remembered").asBoolean()).isFalse();

    Answer reset = asSre.send("DELETE", "/api/clients/alice", null);

    assertThat(reset.status()).isEqualTo(200);
    assertThat(reset.json().get("before").get("tokensLeft").asLong()).isEqualTo(4);
    assertThat(reset.json().get("after").get("tokensLeft").asLong()).isEqualTo(5);
    assertThat(reset.json().get("after").get("connectionsHeld").asInt()).isEqualTo(1);
    assertThat(audit.messages().get(0)).endsWith(" action=reset-client client=\"alice\""
        + " before=tokens:4,connections:1 after=tokens:5,connections:1");
  }

  @Test
  void reloadAppliesTheFileAndRefusesABadOne() {
    Answer unchanged = asSre.send("POST", "/api/reload", null);
    assertThat(unchanged.status()).isEqualTo(200);
    assertThat(unchanged.json().get("configuration").asText()).isEqualTo("unchanged");
    assertThat(unchanged.json().get("certificates").asText()).isEqualTo("unchanged");

    EchoUpstream third = f.echo();
    f.writeConfig(config(List.of(hosts.get(0), hosts.get(1), third)));
    Answer applied = asSre.send("POST", "/api/reload", null);
    assertThat(applied.status()).as(applied.body()).isEqualTo(200);
    assertThat(applied.json().get("configuration").asText()).isEqualTo("applied");
    assertThat(asSre.get("/api/upstreams/echo").json().get("hosts")).hasSize(3);

    f.writeConfig("upstreams: [");
    Answer refused = asSre.send("POST", "/api/reload", null);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.error()).startsWith("lb.yaml: not valid YAML")
        .endsWith("the running configuration stays in use");
    assertThat(audit.messages()).hasSize(3);
    assertThat(audit.messages().get(1)).contains(" action=reload ", " configuration=applied ");
  }

  @Test
  void hostAddedByAReloadShowsItsSlowStartShare() {
    f.writeConfig(withSlowStart(config(hosts)));
    assertThat(asSre.send("POST", "/api/reload", null).status()).isEqualTo(200);
    assertThat(hostJson(hosts.get(0)).get("slowStartShare").asDouble()).isEqualTo(1.0);

    EchoUpstream third = f.echo();
    f.writeConfig(withSlowStart(config(List.of(hosts.get(0), hosts.get(1), third))));
    Answer applied = asSre.send("POST", "/api/reload", null);
    assertThat(applied.status()).as(applied.body()).isEqualTo(200);

    assertThat(hostJson(third).get("slowStartShare").asDouble())
        .as("an hour-long ramp has just begun").isGreaterThan(0).isLessThan(0.5);
    assertThat(hostJson(hosts.get(0)).get("slowStartShare").asDouble()).isEqualTo(1.0);
    assertThat(hostJson(hosts.get(1)).get("slowStartShare").asDouble()).isEqualTo(1.0);
  }

  private static String withSlowStart(String config) {
    String allow = "    allow: [alice]\n";
    assertThat(config).contains(allow);
    return config.replace(allow, allow + "    slowStart: 1h\n");
  }

  @Test
  void effectiveConfigurationShowsWhatIsServedAndNoKey() {
    Answer config = asSre.get("/api/config");

    assertThat(config.status()).isEqualTo(200);
    JsonNode c = config.json();
    assertThat(c.get("upstreams").get(0).get("allow").get(0).asText()).isEqualTo("alice");
    assertThat(c.get("admin").get("tls").asText()).isEqualTo("main");
    assertThat(c.get("admin").get("allow").get(0).asText()).isEqualTo("group:sre");
    assertThat(c.get("rateLimit").get("default").get("burst").asInt()).isEqualTo(5);
    assertThat(c.get("tls").get("privateKey").asText()).endsWith("server-key.pem");
    assertThat(config.body()).doesNotContain("PRIVATE KEY", "BEGIN");
  }

  @Test
  void theIndexListsTheEndpoints() {
    Answer index = asSre.get("/");
    assertThat(index.status()).isEqualTo(200);
    assertThat(index.body()).contains("/metrics", "/healthz", "/api/upstreams",
        "/api/clients/{identity}", "/api/reload", "/api/config");
  }

  @Test
  void withoutTlsTheApiAnswersOnLoopbackAndTheAuditNamesTheAddress() throws Exception {
    f.close();
    f = new ServerFixture(dir);
    List<EchoUpstream> plainHosts = f.echoes(1);
    LbServer plain = f.start("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
        admin:
          listen: 127.0.0.1:0
        """.formatted(ServerFixture.hostList(plainHosts)));
    AdminClient http = new AdminClient(plain.adminAddress(), null);

    Answer drained = http.send("PUT", "/api/upstreams/echo/hosts/" + plainHosts.get(0).host()
        + "/state", "{\"state\": \"drain\"}");

    assertThat(drained.status()).isEqualTo(200);
    assertThat(audit.messages()).singleElement().asString().startsWith("who=-@127.0.0.1:");
    InetSocketAddress admin = plain.adminAddress();
    assertThat(ServerFixture.get(admin, "/healthz")).isEqualTo("200 ok\n");
  }
}
