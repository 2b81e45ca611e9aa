package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API driven by {@code curl}, a client lb4j did not write, with the client-certificate
 * flags that {@code docs/operations.md} shows.
 */
@Timeout(120)
class AdminApiCurlTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture audit;
  private LogCapture access;
  private LbServer server;
  private List<EchoUpstream> hosts;

  /** What curl printed: the body, and the status it wrote last; or its exit status on failure. */
  private record Curl(int exit, String body, int status) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  @BeforeEach
  void setUp() {
    Peers.assumeAvailable(Peers.onPath("curl"), "curl", () -> "no curl on the PATH");
    f = new ServerFixture(dir);
    audit = new LogCapture(AdminApi.AUDIT_LOGGER);
    access = new LogCapture(ConnectionLog.LOGGER);
    hosts = f.echoes(2);
    server = f.start(AdminApiTest.config(hosts));
    f.pki.client(ClientSpec.commonName("bob").groups("sre").build()).writePem(dir, "sre");
    f.alice.writePem(dir, "alice");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (f != null) {
      f.close();
      audit.close();
      access.close();
    }
  }

  /** Runs curl with the client certificate {@code who} (null for none) and the CA. */
  private Curl curl(String who, String method, String path, String body) throws Exception {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30",
        "--cacert", dir.resolve("ca.pem").toString(), "-w", "\n%{http_code}", "-X", method));
    if (who != null) {
      command.addAll(List.of("--cert", dir.resolve(who + ".pem").toString(),
          "--key", dir.resolve(who + "-key.pem").toString()));
    }
    if (body != null) {
      command.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", body));
    }
    command.add("https://127.0.0.1:" + server.adminAddress().getPort() + path);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("curl did not finish: " + command);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        return new Curl(p.exitValue(), out, 0);
      }
      int cut = out.lastIndexOf('\n');
      return new Curl(0, out.substring(0, cut), Integer.parseInt(out.substring(cut + 1).strip()));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void everyEndpointAnswersCurlWithAnAllowedCertificate() throws Exception {
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "hi\n")).isEqualTo("hi\n");
    EchoUpstream used = hosts.get(0).acceptedConnections() == 1 ? hosts.get(0) : hosts.get(1);
    String hostPath = "/api/upstreams/echo/hosts/" + used.host();

    Curl list = curl("sre", "GET", "/api/upstreams", null);
    assertThat(list.status()).as(list.body()).isEqualTo(200);
    assertThat(list.json().get("upstreams").get(0).get("hosts")).hasSize(2);
    assertThat(curl("sre", "GET", "/api/upstreams/echo", null).status()).isEqualTo(200);

    Curl disabled = curl("sre", "PUT", hostPath + "/state",
        "{\"state\": \"disable\", \"grace\": \"200ms\"}");
    assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
    await().until(() -> access.messages().stream().anyMatch(m -> m.contains("close=admin_disabled")));
    assertThat(curl("sre", "PUT", hostPath + "/state", "{\"state\": \"drain\"}").json()
        .get("before").asText()).isEqualTo("disabled");
    assertThat(curl("sre", "PUT", hostPath + "/state", "{\"state\": \"enable\"}").status())
        .isEqualTo(200);
    assertThat(curl("sre", "PUT", hostPath + "/weight", "{\"weight\": 4}").json()
        .get("after").asInt()).isEqualTo(4);

    Curl client = curl("sre", "GET", "/api/clients/alice", null);
    assertThat(client.json().get("tokensLeft").asLong()).isEqualTo(4);
    assertThat(curl("sre", "DELETE", "/api/clients/alice", null).json()
        .get("after").get("tokensLeft").asLong()).isEqualTo(5);
    assertThat(curl("sre", "POST", "/api/reload", null).json().get("configuration").asText())
        .isEqualTo("unchanged");
    assertThat(curl("sre", "GET", "/api/config", null).body()).doesNotContain("PRIVATE KEY");
    assertThat(curl("sre", "GET", "/metrics", null).body()).contains("lb4j_connections");

    assertThat(audit.messages()).hasSize(6).allSatisfy(line ->
        assertThat(line).startsWith("who=bob@127.0.0.1:"));
  }

  @Test
  void curlWithoutAnAllowedCertificateChangesNothing() throws Exception {
    String hostPath = "/api/upstreams/echo/hosts/" + hosts.get(0).host() + "/state";

    Curl alice = curl("alice", "PUT", hostPath, "{\"state\": \"drain\"}");
    assertThat(alice.status()).isEqualTo(403);
    assertThat(alice.body()).isEqualTo("{\"error\":\"alice may not use the admin API\"}\n");

    Curl anonymous = curl(null, "PUT", hostPath, "{\"state\": \"drain\"}");
    assertThat(anonymous.exit()).as("the handshake fails without a certificate").isNotZero();

    Curl bad = curl("sre", "PUT", hostPath, "{\"state\": ");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").asText()).startsWith("malformed JSON");
    assertThat(curl("sre", "GET", "/api/upstreams/echo", null).json().get("hosts").get(0)
        .get("admin").asText()).isEqualTo("enabled");
  }
}
