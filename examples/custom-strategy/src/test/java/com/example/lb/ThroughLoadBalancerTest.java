package com.example.lb;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The strategy and the authorizer in a real {@link LoadBalancer}: mutual TLS on loopback, three
 * echo hosts from lb-testkit, client certificates from its test PKI.
 */
class ThroughLoadBalancerTest {

  private static final int CLIENTS = 12;

  @TempDir static Path dir;

  private static TestPki pki;
  private static PemTlsContextFactory tls;
  private static List<EchoUpstream> echoes;
  private static List<IssuedCertificate> clients;

  private final Map<String, Host> lastHost = new ConcurrentHashMap<>();
  private final Map<String, Refuse> refusals = new ConcurrentHashMap<>();
  private Upstream api;
  private LoadBalancer lb;

  @BeforeAll
  static void pkiAndHosts() {
    pki = TestPki.create();
    pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    pki.writeCaPem(dir.resolve("ca.pem"));
    tls = PemTlsContextFactory.builder()
        .certificateChain(dir.resolve("server.pem"))
        .privateKey(dir.resolve("server-key.pem"))
        .clientCa(dir.resolve("ca.pem"))
        .build();
    echoes = List.of(Upstreams.echo(), Upstreams.echo(), Upstreams.echo());
    clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      clients.add(pki.client(ClientSpec.commonName("client-" + i)
          .uris("spiffe://example.org/ns/prod/client-" + i)
          .build()));
    }
  }

  @AfterAll
  static void stopHosts() {
    echoes.forEach(EchoUpstream::close);
    tls.close();
  }

  @BeforeEach
  void start() {
    api = Upstream.builder("api")
        .hosts(echoes.stream().map(EchoUpstream::host).toList())
        .strategy(ClientAffinity.byIdentity())
        .build();
    lb = LoadBalancer.builder()
        .upstream(api, new InetSocketAddress("127.0.0.1", 0))
        .tls(tls)
        .authorizer(SpiffeAuthorizer.trustDomain("example.org").allow("api", "/ns/prod").build())
        .listener(new ConnectionListener() {
          @Override
          public void onConnected(ConnectionInfo connection, Host host) {
            lastHost.put(connection.identity().commonName(), host);
          }

          @Override
          public void onRefused(ConnectionInfo connection, Refuse refusal) {
            refusals.put(connection.identity().commonName(), refusal);
          }
        })
        .ioThreads(1)
        .drainTimeout(Duration.ofSeconds(1))
        .build()
        .start();
  }

  @AfterEach
  void stop() {
    lb.close();
  }

  @Test
  void sameClientLandsOnSameHostEveryTime() throws IOException {
    Map<String, Host> first = round();

    for (int i = 0; i < 2; i++) {
      assertThat(round()).isEqualTo(first);
    }
  }

  @Test
  void differentClientsSpreadOverHosts() throws IOException {
    Map<String, Host> placed = round();

    // Where a client lands depends on the hosts' ports, chosen anew each run; twelve clients all
    // hashing to one of three hosts has a chance of 3 in 3^12.
    assertThat(new HashSet<>(placed.values())).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void removingAHostMovesOnlyItsClients() throws IOException {
    Map<String, Host> before = round();
    Host busiest = busiest(before.values());
    List<Host> remaining = new ArrayList<>(api.hosts());
    remaining.remove(busiest);

    lb.update(api.toBuilder().hosts(remaining).build());
    Map<String, Host> after = round();

    before.forEach((client, host) -> {
      if (host.equals(busiest)) {
        assertThat(after.get(client)).as(client).isIn(remaining);
      } else {
        assertThat(after.get(client)).as(client).isEqualTo(host);
      }
    });
  }

  @Test
  void clientOutsideAllowedPathIsRefusedAndReachesNoHost() throws IOException {
    IssuedCertificate staging = pki.client(ClientSpec.commonName("staging-web")
        .uris("spiffe://example.org/ns/staging/web")
        .build());
    int acceptedBefore = acceptedByHosts();

    try (SSLSocket socket = connect(staging)) {
      socket.getOutputStream().write("ping".getBytes(US_ASCII));
      assertThat(readToEndOrError(socket.getInputStream())).isEmpty();
    }

    await().until(() -> refusals.containsKey("staging-web"));
    Refuse refusal = refusals.get("staging-web");
    assertThat(refusal.reason()).isEqualTo(RefusalReason.UNAUTHORIZED);
    assertThat(refusal.detail())
        .isEqualTo("staging-web has no SPIFFE ID of spiffe://example.org allowed to reach api");
    assertThat(acceptedByHosts()).isEqualTo(acceptedBefore);
  }

  @Test
  void clientUnderAllowedPathIsForwarded() throws IOException {
    assertThat(echoOnce(clients.get(0))).isEqualTo("ping");
    assertThat(refusals).isEmpty();
  }

  /** Connects every client once, in order, and returns the host each landed on. */
  private Map<String, Host> round() throws IOException {
    Map<String, Host> placed = new LinkedHashMap<>();
    for (int i = 0; i < CLIENTS; i++) {
      assertThat(echoOnce(clients.get(i))).isEqualTo("ping");
      // The echo came back, so the upstream connection was up and onConnected has run.
      placed.put("client-" + i, lastHost.get("client-" + i));
    }
    return placed;
  }

  private String echoOnce(IssuedCertificate client) throws IOException {
    try (SSLSocket socket = connect(client)) {
      socket.getOutputStream().write("ping".getBytes(US_ASCII));
      return new String(socket.getInputStream().readNBytes(4), US_ASCII);
    }
  }

  private SSLSocket connect(IssuedCertificate client) throws IOException {
    SSLSocket socket = (SSLSocket) pki.clientContext(client).getSocketFactory()
        .createSocket("127.0.0.1", lb.boundAddress("api").getPort());
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** Reads until the end of the stream or an error (a refused client may see either). */
  private static byte[] readToEndOrError(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException closedOnUs) {
      return new byte[0];
    }
  }

  private static int acceptedByHosts() {
    return echoes.stream().mapToInt(EchoUpstream::acceptedConnections).sum();
  }

  private static Host busiest(Collection<Host> placements) {
    Map<Host, Long> counts = placements.stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

}
