package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalReason;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A group rule ({@code group:ops}) admits a client whatever way its subject carries the OU: its own
 * RDN, or one multi-valued RDN together with the CN. Through a real {@link io.lb4j.impl.LoadBalancer}
 * on both engines.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(60)
class GroupFromSubjectThroughBalancerTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir static Path dir;
  private static TlsFixture fixture;

  @RegisterExtension final Closer closer = new Closer();

  @BeforeAll
  static void writeServerMaterial() {
    fixture = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
  }

  private TlsBalancer startOpsOnly(TlsEngine engine, EchoUpstream echo) {
    PemTlsContextFactory tls = closer.track(fixture.factory(engine));
    return closer.track(TlsBalancer.start(tls, echo,
        AllowList.builder().allow("hc", "group:ops").build()));
  }

  private static String echoThrough(IssuedCertificate client, InetSocketAddress address)
      throws IOException {
    try (SSLSocket socket = (SSLSocket) PKI.clientContext(client).getSocketFactory()
        .createSocket(address.getAddress(), address.getPort())) {
      socket.setSoTimeout((int) ClosedByServer.CLIENT_TIMEOUT.toMillis());
      socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII);
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void groupRuleAdmitsClientWhoseOuSharesAMultiValuedRdnWithItsCn(TlsEngine engine)
      throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    TlsBalancer lb = startOpsOnly(engine, echo);
    IssuedCertificate bob2 = PKI.client(ClientSpec.subject("OU=ops+CN=bob2, O=lb4j test").build());

    assertThat(echoThrough(bob2, lb.address())).isEqualTo("ping");

    ConnectionEvent event = lb.onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.CLIENT_CLOSED);
    assertThat(event.connection().identity().commonName()).isEqualTo("bob2");
    assertThat(event.connection().identity().groups()).containsExactly("ops");
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void groupRuleAdmitsClientWhoseOuIsItsOwnRdn(TlsEngine engine) throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    TlsBalancer lb = startOpsOnly(engine, echo);
    IssuedCertificate bob3 = PKI.client(ClientSpec.subject("OU=ops, CN=bob3").build());

    assertThat(echoThrough(bob3, lb.address())).isEqualTo("ping");
    assertThat(lb.onlyEvent().connection().identity().groups()).containsExactly("ops");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void groupRuleRefusesClientWithoutTheOu(TlsEngine engine) throws Exception {
    EchoUpstream echo = closer.track(Upstreams.echo());
    TlsBalancer lb = startOpsOnly(engine, echo);
    IssuedCertificate eve = PKI.client(ClientSpec.subject("OU=dev+CN=eve").build());

    // Closed right after the handshake: nothing comes back, by end of stream or by an error.
    ClosedByServer.whileRunning(() -> assertThat(echoThrough(eve, lb.address())).isEmpty());

    ConnectionEvent event = lb.onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.UNAUTHORIZED);
    assertThat(event.refusal().detail()).isEqualTo("eve may not reach hc (allowed: group:ops)");
    assertThat(echo.acceptedConnections()).isZero();
  }
}
