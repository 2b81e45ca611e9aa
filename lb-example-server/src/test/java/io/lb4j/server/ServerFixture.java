package io.lb4j.server;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;

/**
 * A folder with the testkit's certificates (server, alice, mallory), echo hosts, and servers
 * started from configuration text written into that folder. Closes all of it.
 */
final class ServerFixture implements AutoCloseable {

  /** Long enough that no background reload happens during a test that does not ask for one. */
  static final Duration NO_POLLING = Duration.ofHours(1);

  final Path dir;
  final TestPki pki = TestPki.create();
  final IssuedCertificate alice = pki.client("alice");
  final IssuedCertificate mallory = pki.client("mallory");
  private final List<AutoCloseable> closeables = new ArrayList<>();

  ServerFixture(Path dir) {
    this.dir = dir;
    pki.writeCaPem(dir.resolve("ca.pem"));
    pki.server("localhost", "127.0.0.1").writePem(dir, "server");
  }

  /** The tls section that serves the folder's certificates. */
  static String tlsSection() {
    return """
        tls:
          certificate: server.pem
          privateKey: server-key.pem
          clientCa: ca.pem
        """;
  }

  EchoUpstream echo() {
    return track(Upstreams.echo());
  }

  List<EchoUpstream> echoes(int n) {
    List<EchoUpstream> hosts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      hosts.add(echo());
    }
    return hosts;
  }

  /** A loopback port that was free a moment ago, for a configuration that names its port. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A file that serves {@code host} as upstream {@code echo} to alice, with TLS, on fixed ports of
   * loopback, as the tests that run the packaged server need (their servers are reached by port).
   */
  static String echoWithAdmin(
      int listenPort, TestUpstream host, int adminPort, String drainTimeout) {
    return tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:%d
            hosts: %s
            allow: [alice]
        admin:
          listen: 127.0.0.1:%d
        drainTimeout: %s
        """.formatted(listenPort, hostList(List.of(host)), adminPort, drainTimeout);
  }

  static String hostList(List<? extends TestUpstream> hosts) {
    return hosts.stream().map(h -> h.host().toString()).toList().toString();
  }

  Path writeConfig(String yaml) {
    try {
      return Files.writeString(dir.resolve("lb.yaml"), yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  LbServer start(String yaml) {
    return start(yaml, NO_POLLING);
  }

  LbServer start(String yaml, Duration pollInterval) {
    Path file = writeConfig(yaml);
    return track(LbServer.start(ConfigReader.read(file, "lb.yaml"), pollInterval));
  }

  <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  SSLSocket connect(LbServer server, String upstream, IssuedCertificate client) {
    return connect(server.loadBalancer().boundAddress(upstream), client, null);
  }

  SSLSocket connect(InetSocketAddress address, IssuedCertificate client, String serverName) {
    return track(TlsClient.connect(address, pki.clientContext(client), serverName));
  }

  static String get(InetSocketAddress admin, String path) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(
              "http://" + admin.getHostString() + ":" + admin.getPort() + path)).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.statusCode() + " " + response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
