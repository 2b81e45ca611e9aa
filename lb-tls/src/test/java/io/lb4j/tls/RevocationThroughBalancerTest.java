package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalCause;
import io.lb4j.api.RefusalReason;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.time.ManualClock;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Certificate revocation lists ({@link PemTlsContextFactory.Builder#crls}) through a real
 * {@link io.lb4j.impl.LoadBalancer} on both engines: a revoked client certificate, or one under a
 * revoked intermediate CA, is refused in the handshake with a detail naming the serial and the
 * issuer; a reload that revokes takes effect at the next handshake, resumed sessions included.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class RevocationThroughBalancerTest {

  private static final TestPki PKI = TestPki.create();
  private static final String ROOT = PKI.caCertificate().getSubjectX500Principal().getName();

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private TlsFixture server;
  private TlsBalancer lb;
  private EchoUpstream echo;

  private Path crlFile() {
    return dir.resolve("clients.crl");
  }

  private PemTlsContextFactory factory(
      TlsEngine engine, UnaryOperator<PemTlsContextFactory.Builder> settings) {
    server = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
    return closer.track(server.factory(engine, b -> settings.apply(b.crls(List.of(crlFile())))));
  }

  private int start(TlsEngine engine) {
    return start(engine, b -> b);
  }

  private int start(TlsEngine engine, UnaryOperator<PemTlsContextFactory.Builder> settings) {
    return start(factory(engine, settings));
  }

  private int start(PemTlsContextFactory tls) {
    echo = closer.track(Upstreams.echo());
    lb = closer.track(TlsBalancer.start(tls, echo));
    return lb.address().getPort();
  }

  private static String serialOf(IssuedCertificate certificate) {
    return certificate.certificate().getSerialNumber().toString(16);
  }

  /** Checks the one connection's event: refused in the handshake, and returns its detail. */
  private String refusalDetail() {
    ConnectionEvent event = lb.onlyEvent();
    assertThat(lb.events()).hasSize(1);
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(echo.acceptedConnections()).as("connections that reached the upstream").isZero();
    return event.refusal().detail();
  }

  /** Waits for the events of two connections, the first admitted, and returns the refused one. */
  private ConnectionEvent theRefusedOfTwo() {
    await().atMost(Duration.ofSeconds(20)).until(() -> lb.events().size() == 2);
    assertThat(lb.events()).filteredOn(event -> event.reason() == CloseReason.REFUSED).hasSize(1);
    return lb.events().stream().filter(event -> event.reason() == CloseReason.REFUSED)
        .findFirst().orElseThrow();
  }

  private static TlsClient.Refused assertRefused(SSLContext client, int port) {
    TlsClient.Result result = TlsClient.exchange(client, port);
    assertThat(result).isInstanceOf(TlsClient.Refused.class);
    return (TlsClient.Refused) result;
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWhoseCertificateIsRevoked(TlsEngine engine) {
    IssuedCertificate alice = PKI.client("alice");
    TestPki.writeCrlPem(crlFile(), PKI.crl(alice.certificate().getSerialNumber()));
    int port = start(engine);

    TlsClient.Refused refused = assertRefused(PKI.clientContext(alice), port);

    assertThat(refusalDetail()).isEqualTo(
        "handshake failed: certificate revoked: serial " + serialOf(alice) + " issuer " + ROOT);
    assertThat(lb.onlyEvent().refusal().cause()).isEqualTo(RefusalCause.REVOKED);
    if (engine == TlsEngine.OPENSSL) {
      assertThat(refused.cause()).hasMessageContaining("certificate_revoked");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void admitsClientWhoseCertificateIsNotRevoked(TlsEngine engine) {
    IssuedCertificate alice = PKI.client("alice");
    IssuedCertificate mallory = PKI.client("mallory");
    // DER this time, and a second list (of no one) in the same file.
    TestPki.writeCrlDer(crlFile(), PKI.crl(mallory.certificate().getSerialNumber()), PKI.crl());
    int port = start(engine);

    assertThat(TlsClient.exchange(PKI.clientContext(alice), port))
        .isInstanceOf(TlsClient.Echoed.class);
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesEveryLeafOfARevokedIntermediate(TlsEngine engine) {
    TestPki issuing = PKI.intermediate("issuing CA");
    IssuedCertificate bob = issuing.client("bob");
    // The intermediate's own list is empty: bob is refused for his issuer alone.
    TestPki.writeCrlPem(crlFile(), PKI.crl(issuing.caCertificate().getSerialNumber()));
    int port = start(engine);

    assertRefused(PKI.clientContext(bob), port);

    assertThat(refusalDetail()).isEqualTo("handshake failed: certificate revoked: serial "
        + issuing.caCertificate().getSerialNumber().toString(16) + " issuer " + ROOT);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientCoveredByAStaleList(TlsEngine engine) {
    Instant now = Instant.now();
    TestPki.writeCrlPem(crlFile(),
        PKI.crl(List.of(), now.minus(Duration.ofDays(8)), now.minus(Duration.ofDays(1))));
    int port = start(engine);

    assertRefused(PKI.clientContext(PKI.client("alice")), port);

    assertThat(refusalDetail())
        .startsWith("handshake failed: revocation list of " + ROOT + " is stale")
        .contains("acceptStaleCrls");
    assertThat(lb.onlyEvent().refusal().cause()).isEqualTo(RefusalCause.REVOCATION_UNKNOWN);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void admitsClientCoveredByAStaleListWhenStaleListsAreAccepted(TlsEngine engine) {
    Instant now = Instant.now();
    IssuedCertificate mallory = PKI.client("mallory");
    TestPki.writeCrlPem(crlFile(), PKI.crl(List.of(mallory.certificate().getSerialNumber()),
        now.minus(Duration.ofDays(8)), now.minus(Duration.ofDays(1))));
    int port = start(engine, b -> b.acceptStaleCrls(true));

    assertThat(TlsClient.exchange(PKI.clientContext(PKI.client("alice")), port))
        .isInstanceOf(TlsClient.Echoed.class);
    // A stale list still revokes what it lists.
    assertRefused(PKI.clientContext(mallory), port);
  }

  @Test
  void listSignedByAnotherCaIsAConfigurationError() {
    TestPki other = TestPki.create("another CA");
    Path crl = TestPki.writeCrlPem(crlFile(), other.crl());

    assertThatThrownBy(() -> factory(TlsEngine.JDK, b -> b))
        .isInstanceOfSatisfying(TlsConfigException.class, e -> {
          assertThat(e.setting()).isEqualTo("crls");
          assertThat(e.getMessage()).startsWith("crls: " + crl + ": ")
              .contains("not signed by a certificate in clientCa");
        });
  }

  @Test
  void missingOrUnparseableListIsAConfigurationError() throws IOException {
    assertThatThrownBy(() -> factory(TlsEngine.JDK, b -> b))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("crls: " + crlFile() + ": file not found");

    TestPki.writeCrlDer(crlFile(), PKI.crl());
    byte[] whole = Files.readAllBytes(crlFile());
    Files.write(crlFile(), Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> factory(TlsEngine.JDK, b -> b))
        .isInstanceOfSatisfying(TlsConfigException.class,
            e -> assertThat(e.setting()).isEqualTo("crls"))
        .hasMessageStartingWith("crls: " + crlFile() + ": ");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void reloadThatRevokesRefusesTheNextHandshakeWhileAnOpenConnectionStays(TlsEngine engine)
      throws Exception {
    IssuedCertificate alice = PKI.client("alice");
    TestPki.writeCrlPem(crlFile(), PKI.crl());
    PemTlsContextFactory tls = factory(engine, b -> b);
    int port = start(tls);
    try (TlsClient open = TlsClient.open(PKI.clientContext(alice), port, socket -> {})) {
      open.echo("before");
      assertThat(tls.crls()).singleElement()
          .satisfies(status -> assertThat(status.revokedEntries()).isZero());

      TestPki.writeCrlPem(crlFile(), PKI.crl(alice.certificate().getSerialNumber()));
      assertThat(tls.reload()).isTrue();

      assertThat(tls.crls()).singleElement()
          .satisfies(status -> assertThat(status.revokedEntries()).isEqualTo(1));
      // A new context: a fresh client context, so the JDK client does not offer the old session.
      assertRefused(PKI.clientContext(alice), port);
      open.echo("after, on the connection opened before");
    }
    assertThat(lb.events()).anySatisfy(event -> assertThat(event.refusal().detail())
        .isEqualTo("handshake failed: certificate revoked: serial " + serialOf(alice)
            + " issuer " + ROOT));
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void clientOfferingASessionFromBeforeTheRevocationIsRefused(TlsEngine engine) {
    IssuedCertificate alice = PKI.client("alice");
    TestPki.writeCrlPem(crlFile(), PKI.crl());
    PemTlsContextFactory tls = factory(engine, b -> b);
    int port = start(tls);
    SSLContext client = PKI.clientContext(alice);
    assertThat(TlsClient.exchange(client, port)).isInstanceOf(TlsClient.Echoed.class);

    TestPki.writeCrlPem(crlFile(), PKI.crl(alice.certificate().getSerialNumber()));
    assertThat(tls.reload()).isTrue();

    // The same client context offers the session of the first connection. The reloaded context
    // does not resume sessions of the previous one (so its handshake refuses alice); with session
    // tickets shared across contexts it would, and identify would refuse her.
    assertRefused(client, port);
    ConnectionEvent refused = theRefusedOfTwo();
    assertThat(refused.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(refused.refusal().detail()).endsWith(
        "certificate revoked: serial " + serialOf(alice) + " issuer " + ROOT);
    assertThat(refused.refusal().cause()).isEqualTo(RefusalCause.REVOKED);
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void resumedSessionIsCheckedAgainstTheListsOfNow(TlsEngine engine) {
    Instant now = Instant.now();
    ManualClock clock = new ManualClock(now);
    TestPki.writeCrlPem(crlFile(),
        PKI.crl(List.of(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1))));
    int port = start(engine, b -> b.clock(clock));
    SSLContext client = PKI.clientContext(PKI.client("alice"));
    assertThat(TlsClient.exchange(client, port)).isInstanceOf(TlsClient.Echoed.class);

    // The same context, the same list, later: only a resumed session's check can see it is stale.
    clock.set(now.plus(Duration.ofDays(2)));
    assertRefused(client, port);

    ConnectionEvent refused = theRefusedOfTwo();
    assertThat(refused.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    // Refused after the handshake, by identify: the session was resumed, not verified again.
    assertThat(refused.refusal().detail())
        .startsWith("no verified client certificate: revocation list of " + ROOT + " is stale");
    assertThat(refused.refusal().cause()).isEqualTo(RefusalCause.REVOCATION_UNKNOWN);
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesOpenSslClientWithRevokedCertificate(TlsEngine engine) throws Exception {
    IssuedCertificate alice = PKI.client("alice");
    TestPki.writeCrlPem(crlFile(), PKI.crl(alice.certificate().getSerialNumber()));
    int port = start(engine);
    PemFiles files = alice.writePem(dir, "alice");

    // TLS 1.2, where the server judges the certificate before the client's handshake ends, so the
    // alert reaches s_client, which stops reading as soon as a TLS 1.3 handshake is done.
    String output = OpenSslClient.run(dir, PKI, port, "-tls1_2",
        "-cert", files.certificate().toString(), "-key", files.privateKey().toString());

    if (engine == TlsEngine.OPENSSL) {
      assertThat(output).contains("certificate revoked");
    }
    assertThat(refusalDetail()).isEqualTo(
        "handshake failed: certificate revoked: serial " + serialOf(alice) + " issuer " + ROOT);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void hundredThousandEntryListLoadsAndIsChecked(TlsEngine engine) {
    IssuedCertificate alice = PKI.client("alice");
    IssuedCertificate mallory = PKI.client("mallory");
    SecureRandom random = new SecureRandom();
    List<BigInteger> serials = new ArrayList<>(100_001);
    for (int i = 0; i < 100_000; i++) {
      serials.add(new BigInteger(127, random).add(BigInteger.ONE));
    }
    serials.add(mallory.certificate().getSerialNumber());
    Instant now = Instant.now();
    X509CRL large = PKI.crl(serials, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
    TestPki.writeCrlDer(crlFile(), large);

    PemTlsContextFactory tls = factory(engine, b -> b);
    int port = start(tls);

    assertThat(tls.crls()).singleElement()
        .satisfies(status -> assertThat(status.revokedEntries()).isEqualTo(100_001));
    assertThat(TlsClient.exchange(PKI.clientContext(alice), port))
        .isInstanceOf(TlsClient.Echoed.class);
    assertRefused(PKI.clientContext(mallory), port);
  }

  @Test
  void reportsEachListForGauges() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    IssuedCertificate mallory = PKI.client("mallory");
    X509CRL crl = PKI.crl(List.of(mallory.certificate().getSerialNumber()),
        now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(20)));
    Path file = TestPki.writeCrlPem(crlFile(), crl);

    PemTlsContextFactory tls = factory(TlsEngine.JDK, b -> b);

    assertThat(tls.crls()).containsExactly(new CrlStatus(file, ROOT,
        now.minus(Duration.ofHours(1)), Optional.of(now.plus(Duration.ofDays(20))), 1));
  }

  @Test
  void warnsOnceWhenAListNearsItsNextUpdate() {
    Instant now = Instant.now();
    TestPki.writeCrlPem(crlFile(),
        PKI.crl(List.of(), now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3))));

    try (LogCapture log = LogCapture.start()) {
      PemTlsContextFactory tls = factory(TlsEngine.JDK, b -> b);
      assertThat(tls.reload()).isFalse();
      assertThat(tls.reload()).isFalse();

      assertThat(log.lines("WARN", "goes stale at", ROOT)).isEqualTo(1);
    }
  }

  @Test
  void givesNoWarningForAListFurtherAwayThanTheWarningTime() {
    Instant now = Instant.now();
    TestPki.writeCrlPem(crlFile(),
        PKI.crl(List.of(), now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3))));

    try (LogCapture log = LogCapture.start()) {
      factory(TlsEngine.JDK, b -> b.crlExpiryWarning(Duration.ofDays(2)));

      assertThat(log.lines("goes stale at")).isZero();
    }
  }

  @Test
  void intermediateCertificateOfTheChainIsNotConfused() {
    // A CRL issued by the root naming a leaf's serial does not revoke a leaf of the intermediate
    // with that serial: revocation is by issuer and serial.
    TestPki issuing = PKI.intermediate("issuing CA");
    IssuedCertificate bob = issuing.client("bob");
    X509Certificate leaf = bob.certificate();
    TestPki.writeCrlPem(crlFile(), PKI.crl(leaf.getSerialNumber()));
    int port = start(TlsEngine.JDK);

    assertThat(TlsClient.exchange(PKI.clientContext(bob), port))
        .isInstanceOf(TlsClient.Echoed.class);
  }
}
