package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;

class RememberedVerificationsTest {

  private static final TestPki PKI = TestPki.create();
  private static final String AUTH = "ECDHE_ECDSA";

  private final CountingPkix pkix = new CountingPkix(pkixTrusting(PKI.trustStore()));
  private final AtomicLong now = new AtomicLong(System.currentTimeMillis());

  @Test
  void verifiesAChainOnceAndThenRemembersIt() throws Exception {
    RememberedVerifications remembered = new RememberedVerifications(pkix, 16, now::get);
    X509Certificate[] alice = chainOf(PKI.client("alice"));

    remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null);
    remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null);
    remembered.checkClientTrusted(chainOf(PKI.client("bob")), AUTH, (SSLEngine) null);

    assertThat(pkix.checks.get()).isEqualTo(2);
  }

  @Test
  void neverRemembersARefusal() {
    RememberedVerifications remembered = new RememberedVerifications(pkix, 16, now::get);
    X509Certificate[] stranger = chainOf(TestPki.create("another CA").client("mallory"));

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> remembered.checkClientTrusted(stranger, AUTH, (SSLEngine) null))
          .isInstanceOf(CertificateException.class);
    }
    assertThat(pkix.checks.get()).isEqualTo(2);
  }

  @Test
  void verifiesAgainOnceTheEarliestNotAfterOfTheChainIsReached() throws Exception {
    RememberedVerifications remembered = new RememberedVerifications(pkix, 16, now::get);
    IssuedCertificate alice = PKI.client("alice");
    long earliest =
        alice.chain().stream().mapToLong(c -> c.getNotAfter().getTime()).min().orElseThrow();

    now.set(earliest - 1);
    remembered.checkClientTrusted(chainOf(alice), AUTH, (SSLEngine) null);
    remembered.checkClientTrusted(chainOf(alice), AUTH, (SSLEngine) null);
    assertThat(pkix.checks.get()).isEqualTo(1);

    now.set(earliest);
    remembered.checkClientTrusted(chainOf(alice), AUTH, (SSLEngine) null);
    assertThat(pkix.checks.get()).isEqualTo(2);
  }

  @Test
  void neverMixesUpChainsThatShareASlot() {
    // One slot: every chain collides. A stranger is refused while alice is remembered; bob then
    // takes the slot, so alice is verified again.
    RememberedVerifications remembered = new RememberedVerifications(pkix, 1, now::get);
    X509Certificate[] alice = chainOf(PKI.client("alice"));
    X509Certificate[] bob = chainOf(PKI.client("bob"));
    X509Certificate[] stranger = chainOf(TestPki.create("another CA").client("alice"));

    assertTrusted(() -> remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null));
    assertThatThrownBy(() -> remembered.checkClientTrusted(stranger, AUTH, (SSLEngine) null))
        .isInstanceOf(CertificateException.class);
    assertTrusted(() -> remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null));
    assertThat(pkix.checks.get()).isEqualTo(2);

    assertTrusted(() -> remembered.checkClientTrusted(bob, AUTH, (SSLEngine) null));
    assertTrusted(() -> remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null));
    assertThat(pkix.checks.get()).isEqualTo(4);
  }

  @Test
  void aChainWithAnotherIssuerPartIsVerifiedAfresh() throws Exception {
    // The same leaf bytes presented with a different chain behind them is a different question.
    TestPki intermediate = PKI.intermediate("issuing CA");
    IssuedCertificate bob = intermediate.client(ClientSpec.commonName("bob").build());
    RememberedVerifications remembered = new RememberedVerifications(pkix, 16, now::get);

    remembered.checkClientTrusted(chainOf(bob), AUTH, (SSLEngine) null);
    X509Certificate[] leafOnly = {bob.certificate()};
    assertThatThrownBy(() -> remembered.checkClientTrusted(leafOnly, AUTH, (SSLEngine) null))
        .isInstanceOf(CertificateException.class);
    assertThat(pkix.checks.get()).isEqualTo(2);
  }

  @Test
  void anotherKeyExchangeTypeIsVerifiedAfresh() throws Exception {
    RememberedVerifications remembered = new RememberedVerifications(pkix, 16, now::get);
    X509Certificate[] alice = chainOf(PKI.client("alice"));

    remembered.checkClientTrusted(alice, AUTH, (SSLEngine) null);
    remembered.checkClientTrusted(alice, "UNKNOWN", (SSLEngine) null);

    assertThat(pkix.checks.get()).isEqualTo(2);
  }

  @Test
  void refusesASlotCountThatIsNotAPowerOfTwo() {
    assertThatThrownBy(() -> new RememberedVerifications(pkix, 100, now::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slots must be a positive power of two but was 100");
  }

  private static void assertTrusted(ThrowingCall call) {
    try {
      call.run();
    } catch (CertificateException e) {
      throw new AssertionError("expected the chain to be trusted", e);
    }
  }

  private interface ThrowingCall {
    void run() throws CertificateException;
  }

  private static X509Certificate[] chainOf(IssuedCertificate issued) {
    return issued.chain().toArray(X509Certificate[]::new);
  }

  private static X509ExtendedTrustManager pkixTrusting(KeyStore anchors) {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      return (X509ExtendedTrustManager) factory.getTrustManagers()[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JDK's PKIX trust manager, counting how often it is asked about a client. */
  private static final class CountingPkix extends X509ExtendedTrustManager {
    final AtomicInteger checks = new AtomicInteger();
    final X509ExtendedTrustManager pkix;

    CountingPkix(X509ExtendedTrustManager pkix) {
      this.pkix = pkix;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checks.incrementAndGet();
      pkix.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checks.incrementAndGet();
      pkix.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      checks.incrementAndGet();
      pkix.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException();
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
