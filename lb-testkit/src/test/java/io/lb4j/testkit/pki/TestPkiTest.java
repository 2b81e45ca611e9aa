package io.lb4j.testkit.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.Test;

class TestPkiTest {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int DNS = 2;
  private static final int URI = 6;
  private static final int IP = 7;

  private final TestPki pki = TestPki.create();

  @Test
  void issuedCertificatesValidateAgainstTheCa() {
    ClientSpec spec = ClientSpec.commonName("bob").groups("ops").uris("spiffe://lb4j.test/bob")
        .build();

    for (IssuedCertificate good : List.of(pki.server(), pki.client("alice"), pki.client(spec))) {
      assertThatCode(() -> Pkix.validate(good, pki.caCertificate()))
          .as(good.toString())
          .doesNotThrowAnyException();
    }
  }

  @Test
  void leafOfAnIntermediateValidatesAgainstTheRootThroughItsChain() {
    TestPki issuing = pki.intermediate("issuing CA");
    IssuedCertificate alice = issuing.client("alice");

    assertThat(alice.chain())
        .containsExactly(alice.certificate(), issuing.caCertificate(), pki.caCertificate());
    assertThat(issuing.rootCertificate()).isEqualTo(pki.rootCertificate());
    assertThatCode(() -> Pkix.validate(alice, pki.rootCertificate())).doesNotThrowAnyException();
  }

  @Test
  void intermediateIsACaSignedByTheRoot() {
    X509Certificate intermediate = pki.intermediate("issuing CA").caCertificate();

    assertThat(intermediate.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(intermediate.getIssuerX500Principal())
        .isEqualTo(pki.caCertificate().getSubjectX500Principal());
    assertThat(intermediate.getSubjectX500Principal().getName())
        .isEqualTo("CN=issuing CA,O=lb4j test");
  }

  @Test
  void expiredClientFailsAsExpired() throws Exception {
    assertThat(Pkix.failureReason(pki.expiredClient("old"), pki.caCertificate()))
        .isEqualTo(BasicReason.EXPIRED);
  }

  @Test
  void notYetValidClientFailsAsNotYetValid() throws Exception {
    assertThat(Pkix.failureReason(pki.notYetValidClient("early"), pki.caCertificate()))
        .isEqualTo(BasicReason.NOT_YET_VALID);
  }

  @Test
  void selfSignedClientHasNoTrustAnchor() throws Exception {
    IssuedCertificate self = TestPki.selfSigned("mallory");

    assertThat(self.chain()).containsExactly(self.certificate());
    assertThat(self.certificate().getIssuerX500Principal())
        .isEqualTo(self.certificate().getSubjectX500Principal());
    assertThat(Pkix.failureReason(self, pki.caCertificate()))
        .isEqualTo(PKIXReason.NO_TRUST_ANCHOR);
  }

  @Test
  void clientOfAnotherCaHasNoTrustAnchor() throws Exception {
    IssuedCertificate stranger = TestPki.create().client("stranger");

    assertThat(Pkix.failureReason(stranger, pki.caCertificate()))
        .isEqualTo(PKIXReason.NO_TRUST_ANCHOR);
  }

  @Test
  void serverOnlyClientIsRefusedByTheJdkTrustManagerAsAClient() throws Exception {
    X509TrustManager trust = jdkTrustManager();
    X509Certificate[] wrongUsage = chainOf(pki.serverOnlyClient("carol"));

    assertThatThrownBy(() -> trust.checkClientTrusted(wrongUsage, "EC"))
        .isInstanceOf(CertificateException.class);
    assertThatCode(() -> trust.checkClientTrusted(chainOf(pki.client("carol")), "EC"))
        .doesNotThrowAnyException();
  }

  @Test
  void serverCertificateIsTrustedAsAServerButNotAsAClient() throws Exception {
    X509TrustManager trust = jdkTrustManager();
    X509Certificate[] server = chainOf(pki.server());

    assertThatCode(() -> trust.checkServerTrusted(server, "ECDHE_ECDSA"))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkClientTrusted(server, "EC"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void clientSubjectHoldsCommonNameGroupsAndOrganization() {
    IssuedCertificate alice = pki.client(ClientSpec.commonName("alice").groups("ops", "dev")
        .build());

    assertThat(alice.certificate().getSubjectX500Principal().getName())
        .isEqualTo("CN=alice,OU=ops,OU=dev,O=lb4j test");
  }

  @Test
  void clientWithRawSubjectHasExactlyThatSubjectMultiValuedRdnIncluded() {
    IssuedCertificate bob = pki.client(ClientSpec.subject("OU=ops+CN=bob, O=x").build());

    X500Principal subject = bob.certificate().getSubjectX500Principal();
    assertThat(subject).isEqualTo(new X500Principal("OU=ops+CN=bob, O=x"));
    // Encoded most general first: O=x, then the one RDN holding both OU and CN.
    assertThat(X500Name.getInstance(subject.getEncoded()).getRDNs())
        .extracting(RDN::isMultiValued)
        .containsExactly(false, true);
  }

  @Test
  void clientCarriesDnsAndUriSubjectAlternativeNames() throws Exception {
    IssuedCertificate alice = pki.client(ClientSpec.commonName("alice")
        .dnsNames("alice.lb4j.test").uris("spiffe://lb4j.test/alice").build());

    assertThat(alice.certificate().getSubjectAlternativeNames()).containsExactlyInAnyOrder(
        List.of(DNS, "alice.lb4j.test"), List.of(URI, "spiffe://lb4j.test/alice"));
    assertThat(alice.certificate().getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
  }

  @Test
  void clientWithoutAlternativeNamesHasNoSanExtension() {
    assertThat(pki.client("plain").certificate().getExtensionValue(
        Extension.subjectAlternativeName.getId())).isNull();
  }

  @Test
  void serverNamesBecomeIpOrDnsEntriesAndTheFirstIsTheCommonName() throws Exception {
    IssuedCertificate server = pki.server("lb.example.test", "127.0.0.1", "::1");

    X509Certificate certificate = server.certificate();
    assertThat(certificate.getSubjectX500Principal().getName())
        .isEqualTo("CN=lb.example.test,O=lb4j test");
    assertThat(certificate.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
        List.of(DNS, "lb.example.test"), List.of(IP, "127.0.0.1"), List.of(IP, "0:0:0:0:0:0:0:1"));
    assertThat(certificate.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
  }

  @Test
  void serverWithoutNamesServesLocalhostAndLoopback() throws Exception {
    assertThat(pki.server().certificate().getSubjectAlternativeNames())
        .containsExactlyInAnyOrder(List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"));
  }

  @Test
  void onlyTheCaIsACertificateAuthority() {
    X509Certificate ca = pki.caCertificate();
    X509Certificate leaf = pki.client("alice").certificate();

    assertThat(ca.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
    assertThat(ca.getKeyUsage()[5]).as("keyCertSign").isTrue();
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(leaf.getKeyUsage()[5]).as("keyCertSign").isFalse();
    assertThat(pki.ca().chain()).containsExactly(ca);
  }

  @Test
  void leafAuthorityKeyIdentifierIsTheCaSubjectKeyIdentifier() throws Exception {
    X509Certificate leaf = pki.server().certificate();

    byte[] authority = AuthorityKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(
        leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId()))).getKeyIdentifier();
    byte[] caSubject = SubjectKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(
        pki.caCertificate().getExtensionValue(Extension.subjectKeyIdentifier.getId())))
        .getKeyIdentifier();
    assertThat(authority).isNotEmpty().isEqualTo(caSubject);
  }

  @Test
  void chainIsLeafThenCa() {
    IssuedCertificate alice = pki.client("alice");

    assertThat(alice.chain()).containsExactly(alice.certificate(), pki.caCertificate());
  }

  @Test
  void serialNumbersArePositiveAndDistinct() {
    var first = pki.client("a").certificate().getSerialNumber();
    var second = pki.client("a").certificate().getSerialNumber();

    assertThat(first).isPositive().isNotEqualTo(second);
    assertThat(first.bitLength()).isLessThanOrEqualTo(159 + 1);
  }

  @Test
  void validityFollowsTheInjectedClock() {
    Instant now = Instant.parse("2031-05-06T07:08:09Z");
    TestPki fixed = TestPki.builder().clock(Clock.fixed(now, ZoneOffset.UTC)).build();

    X509Certificate client = fixed.client("alice").certificate();
    assertThat(client.getNotBefore().toInstant()).isEqualTo(now.minus(Duration.ofHours(1)));
    assertThat(client.getNotAfter().toInstant()).isEqualTo(now.plus(Duration.ofDays(1)));
    X509Certificate expired = fixed.expiredClient("old").certificate();
    assertThat(expired.getNotAfter().toInstant()).isEqualTo(now.minus(Duration.ofDays(1)));
  }

  @Test
  void explicitValidityIsKept() {
    Instant from = Instant.parse("2020-01-01T00:00:00Z");
    Instant to = Instant.parse("2020-02-01T00:00:00Z");

    X509Certificate certificate = pki.client(ClientSpec.commonName("x").validity(from, to).build())
        .certificate();

    assertThat(certificate.getNotBefore().toInstant()).isEqualTo(from);
    assertThat(certificate.getNotAfter().toInstant()).isEqualTo(to);
  }

  @Test
  void defaultCaNamesDifferBetweenPkis() {
    String first = TestPki.create().caCertificate().getSubjectX500Principal().getName();
    String second = TestPki.create().caCertificate().getSubjectX500Principal().getName();

    assertThat(first).startsWith("CN=lb4j test CA ").endsWith(",O=lb4j test").isNotEqualTo(second);
    assertThat(TestPki.create("my CA").caCertificate().getSubjectX500Principal().getName())
        .isEqualTo("CN=my CA,O=lb4j test");
  }

  @Test
  void rejectsBlankNames() {
    assertThatThrownBy(() -> TestPki.create(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("caCommonName must not be blank but was ' '");
    assertThatThrownBy(() -> pki.server("localhost", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server names must not be blank but was ''");
  }

  @Test
  void toStringLeavesTheKeyOut() {
    IssuedCertificate alice = pki.client("alice");

    assertThat(alice.toString())
        .contains("CN=alice")
        .doesNotContain(alice.privateKey().toString());
  }

  private X509TrustManager jdkTrustManager() throws Exception {
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(pki.trustStore());
    return (X509TrustManager) factory.getTrustManagers()[0];
  }

  private static X509Certificate[] chainOf(IssuedCertificate issued) {
    Collection<X509Certificate> chain = new ArrayList<>(issued.chain());
    return chain.toArray(new X509Certificate[0]);
  }
}
