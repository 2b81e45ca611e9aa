package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code proxyProtocol: v2} in a configuration file, read by the demo's PROXY host, whose
 * {@code describe} is the example that docs/server.md quotes.
 */
@Timeout(180)
class ProxyProtocolServerTest {

  @TempDir Path dir;
  private ServerFixture f;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  @Test
  void hostReadsWhoConnectedFromTheV2Header() throws Exception {
    IssuedCertificate carol =
        f.pki.client(
            ClientSpec.commonName("carol").groups("ops").uris("spiffe://lb4j.test/carol").build());
    ConcurrentLinkedQueue<String> printed = new ConcurrentLinkedQueue<>();
    ProxyHeaderPrinter host = f.track(new ProxyHeaderPrinter(printed::add));
    LbServer server =
        f.start(ServerFixture.tlsSection() + """
            upstreams:
              - name: whois
                listen: 127.0.0.1:0
                hosts: [%s]
                proxyProtocol: v2
                allow: [carol]
            """.formatted(host.host()));

    SSLSocket socket = f.connect(server, "whois", carol);
    // Generous: on a loaded machine the first connect, header and reply take a while.
    socket.setSoTimeout(60_000);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    String line = in.readLine();

    String sha256 =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(carol.certificate().getEncoded()));
    assertThat(line)
        .matches(
            "PROXY header: 127\\.0\\.0\\.1:" + socket.getLocalPort() + " connection=\\d+"
                + " verified=true tls=TLSv1\\.3 cn=carol uris=\\[spiffe://lb4j\\.test/carol\\]"
                + " groups=\\[ops\\] sha256=" + sha256 + " upstream=whois");
    assertThat(printed).containsExactly("[proxy host] " + line.substring("PROXY header: ".length()));
    assertThat(TlsClient.roundTrip(socket, "after the header")).isEqualTo("after the header");
  }

  @Test
  void docsQuoteTheExampleThatRuns() throws Exception {
    String source =
        Files.readString(Path.of("src/main/java/io/lb4j/server/ProxyHeaderPrinter.java"));
    String region =
        source.substring(
            source.indexOf("// docs:begin describe\n") + "// docs:begin describe\n".length(),
            source.indexOf("  // docs:end describe"));
    String unindented =
        String.join(
            "\n", region.lines().map(l -> l.startsWith("  ") ? l.substring(2) : l).toList());
    String docs = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("docs/server.md"));
    assertThat(docs).contains("```java\n" + unindented + "\n```");
    assertThat(List.of(unindented.split("\n"))).hasSizeGreaterThan(20);
  }
}
