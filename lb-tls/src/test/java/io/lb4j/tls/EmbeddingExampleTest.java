package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding example of README.md, compiled and run as written there. */
class EmbeddingExampleTest {

  @TempDir Path dir;

  @Test
  void readmeEmbeddingExampleForwardsAnAllowedClient() throws Exception {
    TestPki pki = TestPki.create();
    IssuedCertificate alice = pki.client("alice");
    pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    pki.writeCaPem(dir.resolve("ca.pem"));
    try (EchoUpstream echo = Upstreams.echo()) {
      int port = echo.port();
      // --- README example starts
      Upstream api = Upstream.builder("api")
          .hosts(List.of(Host.parse("127.0.0.1:" + port)))
          .build();
      PemTlsContextFactory tls = PemTlsContextFactory.builder()
          .certificateChain(dir.resolve("server.pem"))
          .privateKey(dir.resolve("server-key.pem"))
          .clientCa(dir.resolve("ca.pem"))
          .build();
      LoadBalancer lb = LoadBalancer.builder()
          .upstream(api, new InetSocketAddress("127.0.0.1", 0))
          .tls(tls)
          .authorizer(AllowList.builder().allow("api", "alice", "group:ops").build())
          .build()
          .start();
      // --- README example ends
      try (lb; tls;
          SSLSocket client = (SSLSocket) pki.clientContext(alice).getSocketFactory()
              .createSocket("127.0.0.1", lb.boundAddress("api").getPort())) {
        client.getOutputStream().write("hello".getBytes());
        assertThat(client.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes());
      }
    }
  }
}
