package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalCause;
import io.lb4j.api.RefusalReason;
import io.lb4j.impl.OnRevoke;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code onRevoke} through a real {@link io.lb4j.impl.LoadBalancer}: after the revocation list file
 * is rewritten and reloaded, an open connection of the revoked client is closed with
 * {@link CloseReason#REVOKED} ({@link OnRevoke#CLOSE}) or runs on ({@link OnRevoke#KEEP}), and
 * other clients' connections are untouched; refusals for revocation carry their cause.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class OnRevokeTest {

  private static final TestPki PKI = TestPki.create();
  private static final String ROOT = PKI.caCertificate().getSubjectX500Principal().getName();

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private final IssuedCertificate alice = PKI.client("alice");
  private final IssuedCertificate bob = PKI.client("bob");
  private TlsBalancer lb;

  private Path crlFile() {
    return dir.resolve("clients.crl");
  }

  private PemTlsContextFactory start(
      TlsEngine engine, OnRevoke onRevoke, UnaryOperator<PemTlsContextFactory.Builder> settings) {
    TestPki.writeCrlPem(crlFile(), PKI.crl());
    TlsFixture server = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
    PemTlsContextFactory tls = closer.track(
        server.factory(engine, b -> settings.apply(b.crls(List.of(crlFile())))));
    EchoUpstream echo = closer.track(Upstreams.echo());
    lb = closer.track(TlsBalancer.start(tls, echo, onRevoke));
    return tls;
  }

  private TlsClient open(IssuedCertificate who) throws IOException {
    TlsClient client = TlsClient.open(PKI.clientContext(who), lb.address().getPort(), s -> {});
    closer.track(client);
    client.echo("hello from " + who.certificate().getSubjectX500Principal().getName());
    return client;
  }

  private void revokeAlice() {
    TestPki.writeCrlPem(crlFile(), PKI.crl(alice.certificate().getSerialNumber()));
  }

  private String aliceRevoked() {
    return "certificate revoked: serial " + alice.certificate().getSerialNumber().toString(16)
        + " issuer " + ROOT;
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void closeEndsTheOpenConnectionOfTheRevokedClientOnly(TlsEngine engine) throws Exception {
    PemTlsContextFactory tls = start(engine, OnRevoke.CLOSE, b -> b);
    TlsClient aliceStream = open(alice);
    TlsClient bobStream = open(bob);

    revokeAlice();
    assertThat(tls.reload()).isTrue();

    await().atMost(Duration.ofSeconds(20)).until(() -> !lb.events().isEmpty());
    ConnectionEvent closed = lb.onlyEvent();
    assertThat(closed.reason()).isEqualTo(CloseReason.REVOKED);
    assertThat(closed.connection().identity().displayName()).isEqualTo("alice");
    assertThat(closed.refusal()).isNull();
    assertThat(closed.error()).isInstanceOfSatisfying(CertPathValidatorException.class, e -> {
      assertThat(e.getReason()).isEqualTo(CertPathValidatorException.BasicReason.REVOKED);
      assertThat(e.getMessage()).isEqualTo(aliceRevoked());
    });
    assertThatThrownBy(() -> aliceStream.echo("after the revocation"))
        .isInstanceOf(IOException.class);
    bobStream.echo("bob goes on");
    assertThat(lb.events()).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void keepLetsTheOpenConnectionOfTheRevokedClientRunOn(TlsEngine engine) throws Exception {
    PemTlsContextFactory tls = start(engine, OnRevoke.KEEP, b -> b);
    TlsClient aliceStream = open(alice);

    revokeAlice();
    assertThat(tls.reload()).isTrue();

    aliceStream.echo("still here after the revocation");
    // A new handshake of hers is refused all the same, with the revocation as its cause.
    assertThat(TlsClient.exchange(PKI.clientContext(alice), lb.address().getPort()))
        .isInstanceOf(TlsClient.Refused.class);
    ConnectionEvent refused = lb.onlyEvent();
    assertThat(refused.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(refused.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(refused.refusal().cause()).isEqualTo(RefusalCause.REVOKED);
    aliceStream.echo("and still here");
    assertThat(lb.events()).hasSize(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void closeFollowsTheWatcherToo(TlsEngine engine) throws Exception {
    start(engine, OnRevoke.CLOSE, b -> b.watch(Duration.ofMillis(100)));
    TlsClient aliceStream = open(alice);

    revokeAlice();

    ConnectionEvent closed = lb.onlyEvent();
    assertThat(closed.reason()).isEqualTo(CloseReason.REVOKED);
    assertThat(closed.error()).hasMessage(aliceRevoked());
    assertThatThrownBy(() -> aliceStream.echo("after the revocation"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void closeLeavesEveryoneOpenWhenAReloadRevokesNoOneOfThem() throws Exception {
    PemTlsContextFactory tls = start(TlsEngine.JDK, OnRevoke.CLOSE, b -> b);
    TlsClient aliceStream = open(alice);

    TestPki.writeCrlPem(crlFile(), PKI.crl(PKI.client("mallory").certificate().getSerialNumber()));
    assertThat(tls.reload()).isTrue();
    // A revocation of alice after mallory's: her close shows the first reload was handled.
    TlsClient bobStream = open(bob);
    aliceStream.echo("mallory's revocation is not mine");
    assertThat(lb.events()).isEmpty();

    TestPki.writeCrlPem(crlFile(), PKI.crl(bob.certificate().getSerialNumber()));
    assertThat(tls.reload()).isTrue();
    assertThat(lb.onlyEvent().connection().identity().displayName()).isEqualTo("bob");
    aliceStream.echo("still open");
    bobStream.close();
  }

  @Test
  void closeEndsConnectionsUnderARevokedIntermediate() throws Exception {
    TestPki issuing = PKI.intermediate("issuing CA");
    IssuedCertificate carol = issuing.client("carol");
    PemTlsContextFactory tls = start(TlsEngine.JDK, OnRevoke.CLOSE, b -> b);
    TlsClient carolStream = open(carol);
    TlsClient aliceStream = open(alice);

    TestPki.writeCrlPem(crlFile(), PKI.crl(issuing.caCertificate().getSerialNumber()));
    assertThat(tls.reload()).isTrue();

    ConnectionEvent closed = lb.onlyEvent();
    assertThat(closed.reason()).isEqualTo(CloseReason.REVOKED);
    assertThat(closed.connection().identity().displayName()).isEqualTo("carol");
    assertThatThrownBy(() -> carolStream.echo("after")).isInstanceOf(IOException.class);
    aliceStream.echo("alice is not under that CA");
  }
}
