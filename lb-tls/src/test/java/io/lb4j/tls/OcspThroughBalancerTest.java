package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.RefusalReason;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.ocsp.OcspIndex;
import io.lb4j.testkit.ocsp.OpenSslOcspResponder;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.time.ManualClock;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * OCSP checking of client certificates ({@link PemTlsContextFactory.Builder#ocspMode}) through a
 * real {@link io.lb4j.impl.LoadBalancer}, against OpenSSL's own responder ({@code openssl ocsp})
 * started by each test: good, revoked and unknown certificates, a responder that is down, one
 * that never answers, answers signed by keys that may not sign them, the cache, and a resumed
 * session whose certificate was revoked since. Skipped where there is no {@code openssl} binary,
 * failed there in CI.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class OcspThroughBalancerTest {

  private static final TestPki PKI = TestPki.create();
  private static final String ROOT = PKI.caCertificate().getSubjectX500Principal().getName();
  private static final IssuedCertificate ALICE = PKI.client("alice");
  private static final IssuedCertificate MALLORY = PKI.client("mallory");
  private static final IssuedCertificate STRANGER = PKI.client("stranger");

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private PemTlsContextFactory tls;
  private TlsBalancer lb;
  private EchoUpstream echo;

  /** Alice good, mallory revoked, the stranger not listed (unknown). */
  private static OcspIndex index() {
    return new OcspIndex().valid(ALICE.certificate())
        .revoked(MALLORY.certificate(), Instant.now().minus(Duration.ofHours(1)));
  }

  private OpenSslOcspResponder responder(OcspIndex index) {
    return closer.track(OpenSslOcspResponder.builder(dir.resolve("ocsp"), PKI).index(index).start());
  }

  private int start(TlsEngine engine, UnaryOperator<PemTlsContextFactory.Builder> settings) {
    TlsFixture server = TlsFixture.write(dir, PKI, PKI.server("localhost", "127.0.0.1"));
    tls = closer.track(server.factory(engine, settings));
    echo = closer.track(Upstreams.echo());
    lb = closer.track(TlsBalancer.start(tls, echo));
    return lb.address().getPort();
  }

  private int start(TlsEngine engine, OcspMode mode, String responder) {
    return start(engine, b -> b.ocspMode(mode).ocspResponderOverride(URI.create(responder)));
  }

  private static String named(IssuedCertificate client) {
    return "serial " + client.certificate().getSerialNumber().toString(16) + " issuer " + ROOT;
  }

  private static void assertEchoed(IssuedCertificate client, int port) {
    assertThat(TlsClient.exchange(PKI.clientContext(client), port))
        .isInstanceOf(TlsClient.Echoed.class);
  }

  /** Connects as {@code client}, expects a refusal after the handshake, and returns its detail. */
  private String refusedAfterHandshake(IssuedCertificate client, int port) {
    assertThat(TlsClient.exchange(PKI.clientContext(client), port))
        .isInstanceOf(TlsClient.Refused.class);
    ConnectionEvent event = lb.onlyEvent();
    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(event.refusal().reason()).isEqualTo(RefusalReason.TLS_FAILED);
    assertThat(echo.acceptedConnections()).as("connections that reached the upstream").isZero();
    return event.refusal().detail();
  }

  /**
   * The responder's count of requests once it has printed at least one: it prints a request
   * before it answers, but its output reaches this process on a thread of its own.
   */
  private static int requestsSeenBy(OpenSslOcspResponder responder) {
    await().atMost(Duration.ofSeconds(10)).until(() -> responder.requests() > 0);
    return responder.requests();
  }

  private long lookups(OcspOutcome outcome) {
    return tls.ocspLookups().get(outcome);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void admitsClientWhoseCertificateIsGood(TlsEngine engine) {
    OpenSslOcspResponder responder = responder(index());
    int port = start(engine, OcspMode.HARD, responder.url());

    assertEchoed(ALICE, port);

    assertThat(requestsSeenBy(responder)).isEqualTo(1);
    assertThat(lookups(OcspOutcome.GOOD)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void refusesClientWhoseCertificateIsRevoked(TlsEngine engine) {
    OpenSslOcspResponder responder = responder(index());
    int port = start(engine, OcspMode.HARD, responder.url());

    assertThat(refusedAfterHandshake(MALLORY, port))
        .startsWith("no verified client certificate: certificate revoked (OCSP): "
            + named(MALLORY) + " at ");
    assertThat(lookups(OcspOutcome.REVOKED)).isEqualTo(1);
  }

  @Test
  void refusesRevokedCertificateInSoftModeToo() {
    OpenSslOcspResponder responder = responder(index());
    int port = start(TlsEngine.JDK, OcspMode.SOFT, responder.url());

    assertThat(refusedAfterHandshake(MALLORY, port))
        .contains("certificate revoked (OCSP): " + named(MALLORY));
  }

  @Test
  void refusesRevokedCertificateOverTls12() {
    OpenSslOcspResponder responder = responder(index());
    int port = start(TlsEngine.OPENSSL, OcspMode.HARD, responder.url());

    TlsClient.Result result = TlsClient.exchange(PKI.clientContext(MALLORY), port,
        (SSLSocket socket) -> socket.setEnabledProtocols(new String[] {"TLSv1.2"}));

    assertThat(result).isInstanceOf(TlsClient.Refused.class);
    assertThat(lb.onlyEvent().refusal().detail())
        .contains("certificate revoked (OCSP): " + named(MALLORY));
    TlsClient.Result good = TlsClient.exchange(PKI.clientContext(ALICE), port,
        (SSLSocket socket) -> socket.setEnabledProtocols(new String[] {"TLSv1.2"}));
    assertThat(good).isInstanceOfSatisfying(TlsClient.Echoed.class,
        echoed -> assertThat(echoed.protocol()).isEqualTo("TLSv1.2"));
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void unknownCertificateIsRefusedInHardMode(TlsEngine engine) {
    OpenSslOcspResponder responder = responder(index());
    int port = start(engine, OcspMode.HARD, responder.url());

    assertThat(refusedAfterHandshake(STRANGER, port)).isEqualTo(
        "no verified client certificate: no valid OCSP answer: the responder does not know the "
            + "certificate (unknown); refusing " + named(STRANGER));
    assertThat(lookups(OcspOutcome.UNKNOWN)).isEqualTo(1);
  }

  @Test
  void unknownCertificateIsAdmittedInSoftMode() {
    OpenSslOcspResponder responder = responder(index());
    int port = start(TlsEngine.OPENSSL, OcspMode.SOFT, responder.url());

    assertEchoed(STRANGER, port);
    assertThat(lookups(OcspOutcome.UNKNOWN)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = OcspMode.class, names = {"SOFT", "HARD"})
  void responderThatIsDownAdmitsOnlyInSoftMode(OcspMode mode) {
    String down = "http://" + Upstreams.refusing();
    int port = start(TlsEngine.OPENSSL, mode, down);

    if (mode == OcspMode.SOFT) {
      assertEchoed(ALICE, port);
    } else {
      assertThat(refusedAfterHandshake(ALICE, port)).startsWith(
          "no verified client certificate: no valid OCSP answer: cannot reach the responder "
              + down + ": ");
    }
    assertThat(lookups(OcspOutcome.ERROR)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = OcspMode.class, names = {"SOFT", "HARD"})
  void responderThatNeverAnswersTimesOut(OcspMode mode) {
    // A real TCP peer that takes the request and never answers.
    TestUpstream silent = closer.track(Upstreams.blackHole());
    int port = start(TlsEngine.OPENSSL, b -> b.ocspMode(mode)
        .ocspResponderOverride(URI.create("http://" + silent.host()))
        .ocspTimeout(Duration.ofMillis(500)));

    if (mode == OcspMode.SOFT) {
      assertEchoed(ALICE, port);
    } else {
      assertThat(refusedAfterHandshake(ALICE, port)).isEqualTo(
          "no verified client certificate: no valid OCSP answer: the responder http://"
              + silent.host() + " did not answer within 500 ms; refusing " + named(ALICE));
    }
    assertThat(lookups(OcspOutcome.TIMEOUT)).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void answerSignedByAnotherCasResponderIsNotTrusted(TlsEngine engine) {
    IssuedCertificate foreign = TestPki.create("another CA").ocspResponder("foreign responder");
    OpenSslOcspResponder responder = closer.track(OpenSslOcspResponder
        .builder(dir.resolve("ocsp"), PKI).index(index()).signer(foreign).start());
    int port = start(engine, OcspMode.HARD, responder.url());

    assertThat(refusedAfterHandshake(ALICE, port))
        .startsWith("no verified client certificate: no valid OCSP answer: the response is signed "
            + "by CN=foreign responder,O=lb4j test, which is not issued by " + ROOT);
    assertThat(lookups(OcspOutcome.ERROR)).isEqualTo(1);
  }

  @Test
  void answerSignedByACertificateWithoutTheOcspSigningUsageIsNotTrusted() {
    // Issued by the right CA, but for clients, not for signing OCSP answers.
    OpenSslOcspResponder responder = closer.track(OpenSslOcspResponder
        .builder(dir.resolve("ocsp"), PKI).index(index()).signer(PKI.client("impostor")).start());
    int port = start(TlsEngine.OPENSSL, OcspMode.HARD, responder.url());

    assertThat(refusedAfterHandshake(ALICE, port))
        .contains("which lacks the OCSP-signing extended key usage");
  }

  @Test
  void answerSignedByTheIssuerItselfIsTrusted() {
    OpenSslOcspResponder responder = closer.track(OpenSslOcspResponder
        .builder(dir.resolve("ocsp"), PKI).index(index()).signer(PKI.ca()).start());
    int port = start(TlsEngine.OPENSSL, OcspMode.HARD, responder.url());

    assertEchoed(ALICE, port);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void secondConnectionIsJudgedFromTheCache(TlsEngine engine) {
    OpenSslOcspResponder responder = closer.track(OpenSslOcspResponder
        .builder(dir.resolve("ocsp"), PKI).index(index()).nextUpdate(Duration.ofMinutes(10))
        .start());
    int port = start(engine, OcspMode.HARD, responder.url());

    assertEchoed(ALICE, port);
    assertEchoed(ALICE, port);
    assertThat(TlsClient.exchange(PKI.clientContext(MALLORY), port))
        .isInstanceOf(TlsClient.Refused.class);
    assertThat(TlsClient.exchange(PKI.clientContext(MALLORY), port))
        .isInstanceOf(TlsClient.Refused.class);

    assertThat(requestsSeenBy(responder)).as("requests the responder received").isEqualTo(2);
    assertThat(lookups(OcspOutcome.CACHED)).isEqualTo(2);
    assertThat(lookups(OcspOutcome.GOOD)).isEqualTo(1);
    assertThat(lookups(OcspOutcome.REVOKED)).isEqualTo(1);
  }

  @Test
  void asksTheResponderTheCertificateNames() {
    int ocspPort = OpenSslOcspResponder.freePort();
    IssuedCertificate bob = PKI.client(
        ClientSpec.commonName("bob").ocspResponder(OpenSslOcspResponder.url(ocspPort)).build());
    OpenSslOcspResponder responder = closer.track(OpenSslOcspResponder
        .builder(dir.resolve("ocsp"), PKI).index(new OcspIndex().valid(bob.certificate()))
        .port(ocspPort).start());
    int port = start(TlsEngine.OPENSSL, b -> b.ocspMode(OcspMode.HARD));

    assertEchoed(bob, port);

    assertThat(requestsSeenBy(responder)).isEqualTo(1);
  }

  @Test
  void certificateNamingNoResponderIsRefusedInHardModeWithoutOverride() {
    int port = start(TlsEngine.JDK, b -> b.ocspMode(OcspMode.HARD));

    assertThat(refusedAfterHandshake(ALICE, port)).isEqualTo(
        "no verified client certificate: no valid OCSP answer: the certificate names no OCSP "
            + "responder and no responder override is set; refusing " + named(ALICE));
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void resumedSessionIsRefusedOnceOcspSaysRevoked(TlsEngine engine) throws Exception {
    int ocspPort = OpenSslOcspResponder.freePort();
    IssuedCertificate carol = PKI.client(
        ClientSpec.commonName("carol").ocspResponder(OpenSslOcspResponder.url(ocspPort)).build());
    OpenSslOcspResponder before = OpenSslOcspResponder.builder(dir.resolve("ocsp"), PKI)
        .index(new OcspIndex().valid(carol.certificate())).port(ocspPort).start();
    ManualClock clock = new ManualClock(Instant.now());
    int port = start(engine, b -> b.ocspMode(OcspMode.HARD).clock(clock));
    Path session = dir.resolve("carol.session");
    var carolFiles = carol.writePem(dir, "carol");
    try (before) {
      assertThat(OpenSslClient.session(dir, PKI, port, carolFiles, "-tls1_3", "-sess_out",
          session)).contains("New, TLSv1.3");
    }

    // Revoked now: a new responder on the same address says so, and the cached answer is past
    // its time.
    closer.track(OpenSslOcspResponder.builder(dir.resolve("ocsp"), PKI)
        .index(new OcspIndex().revoked(carol.certificate(), Instant.now())).port(ocspPort)
        .start());
    clock.advance(Duration.ofMinutes(2));

    String resumed = OpenSslClient.session(dir, PKI, port, carolFiles, "-tls1_3", "-sess_in",
        session);
    assertThat(resumed).as("the session was resumed").contains("Reused, TLSv1.3");
    await().atMost(Duration.ofSeconds(20)).until(() -> lb.events().size() == 2);
    assertThat(lb.events()).filteredOn(event -> event.reason() == CloseReason.REFUSED)
        .singleElement()
        .satisfies(event -> assertThat(event.refusal().detail())
            .contains("certificate revoked (OCSP): " + named(carol)));
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }
}
