package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.ClientIdentity;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.TestPki;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class IdentityCacheTest {

  private static final TestPki PKI = TestPki.create();

  @Test
  void returnsTheSameIdentityForTheSameCertificate() {
    IdentityCache cache = new IdentityCache(16);
    X509Certificate alice = PKI.client("alice").certificate();

    ClientIdentity first = cache.identify(alice);

    assertThat(cache.identify(alice)).isSameAs(first).isEqualTo(ClientIdentity.fromCertificate(alice));
  }

  @Test
  void neverMixesUpCertificatesThatShareASlot() {
    // One slot: every certificate collides, and each must still get its own identity.
    IdentityCache cache = new IdentityCache(1);
    X509Certificate alice = PKI.client("alice").certificate();
    X509Certificate bob = PKI.client(ClientSpec.commonName("bob").groups("ops").build())
        .certificate();

    assertThat(cache.identify(alice).commonName()).isEqualTo("alice");
    assertThat(cache.identify(bob).commonName()).isEqualTo("bob");
    assertThat(cache.identify(bob).groups()).containsExactly("ops");
    assertThat(cache.identify(alice).commonName()).isEqualTo("alice");
  }

  @Test
  void tellsApartTwoCertificatesForTheSameSubject() {
    IdentityCache cache = new IdentityCache(1);
    X509Certificate first = PKI.client("alice").certificate();
    X509Certificate renewed = PKI.client("alice").certificate();

    assertThat(cache.identify(first).sha256Fingerprint())
        .isNotEqualTo(cache.identify(renewed).sha256Fingerprint());
  }

  @Test
  void refusesASlotCountThatIsNotAPowerOfTwo() {
    assertThatThrownBy(() -> new IdentityCache(1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("slots must be a positive power of two but was 1000");
  }
}
