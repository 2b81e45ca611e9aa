package io.lb4j.bench.load;

import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * lb4j in this JVM, one event loop, mutual TLS in front of an echo host, with the load
 * generator's client certificate ({@code CN=bench}) and CA written as PEM files: a real target
 * for the load generator's measures.
 */
final class Lb4jUnderTest implements AutoCloseable {

  private final EchoUpstream echo;
  private final LoadBalancer lb;
  private final Run.Client client;

  Lb4jUnderTest(Path dir) {
    this(Pki.write(dir), 0);
  }

  /** Certificates of both sides, written as PEM files before lb4j starts. */
  record Pki(Path ca, PemFiles server, Run.Client client) {

    static Pki write(Path dir) {
      TestPki pki = TestPki.create("lb-bench test CA");
      Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
      PemFiles server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
      PemFiles bench = pki.client(PkiMain.CLIENT).writePem(dir, "client");
      return new Pki(ca, server, new Run.Client(bench.certificate(), bench.privateKey(), ca,
          List.of("X25519", "P-256"), 1));
    }
  }

  /** lb4j with certificates written before, on {@code port} of 127.0.0.1 (0: any free one). */
  Lb4jUnderTest(Pki pki, int port) {
    this.client = pki.client();
    this.echo = Upstreams.echo();
    try {
      this.lb = LoadBalancer.builder()
          .upstream(Upstream.builder("bench").hosts(List.of(echo.host())).build(),
              new InetSocketAddress("127.0.0.1", port))
          .tls(PemTlsContextFactory.builder().certificateChain(pki.server().certificate())
              .privateKey(pki.server().privateKey()).clientCa(pki.ca()).build())
          .ioThreads(1)
          .drainTimeout(Duration.ofSeconds(1))
          .build()
          .start();
    } catch (RuntimeException e) {
      echo.close();
      throw e;
    }
  }

  InetSocketAddress address() {
    return lb.boundAddress("bench");
  }

  Run.Client client() {
    return client;
  }

  EchoUpstream echo() {
    return echo;
  }

  @Override
  public void close() {
    try {
      lb.close();
    } finally {
      echo.close();
    }
  }
}
