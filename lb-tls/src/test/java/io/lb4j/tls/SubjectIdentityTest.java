package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.ClientIdentity;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.TestPki;
import org.junit.jupiter.api.Test;

/**
 * The identity read from subjects that a plain {@code CN=..., OU=...} does not cover: several CNs,
 * none, multi-valued RDNs, escaped and non-ASCII characters. Each certificate is issued by a real
 * CA with the subject written as given, and read the way a handshake's peer certificate is.
 */
class SubjectIdentityTest {

  private static final TestPki PKI = TestPki.create();

  private static ClientIdentity identityOf(String subject) {
    return identityOf(ClientSpec.subject(subject).build());
  }

  private static ClientIdentity identityOf(ClientSpec spec) {
    return new IdentityCache(4).identify(PKI.client(spec).certificate());
  }

  @Test
  void multiValuedRdnGivesBothItsCommonNameAndItsGroup() {
    ClientIdentity identity = identityOf("OU=ops+CN=bob2, O=lb4j test");

    assertThat(identity.commonName()).isEqualTo("bob2");
    assertThat(identity.groups()).containsExactly("ops");
  }

  @Test
  void multiValuedRdnIsReadWhateverOrderItsAttributesAreWrittenIn() {
    assertThat(identityOf("CN=bob2+OU=ops").groups()).containsExactly("ops");
    assertThat(identityOf("CN=bob2+OU=ops").commonName()).isEqualTo("bob2");
  }

  @Test
  void multiValuedRdnWithTwoGroupsGivesBoth() {
    assertThat(identityOf("OU=ops+OU=dev+CN=carol").groups()).containsExactlyInAnyOrder("ops", "dev");
  }

  @Test
  void separateRdnsStillGiveCommonNameAndGroup() {
    ClientIdentity identity = identityOf("OU=ops, CN=bob3");

    assertThat(identity.commonName()).isEqualTo("bob3");
    assertThat(identity.groups()).containsExactly("ops");
  }

  @Test
  void severalCommonNamesGiveTheMostSpecificTheOneWrittenFirst() {
    assertThat(identityOf("CN=bob, CN=ops-team, O=lb4j test").commonName()).isEqualTo("bob");
    assertThat(identityOf("CN=ops-team, OU=ops, CN=bob").commonName()).isEqualTo("ops-team");
  }

  @Test
  void subjectWithoutCommonNameHasAnEmptyOneAndKeepsItsGroupsAndNames() {
    ClientIdentity identity = identityOf(
        ClientSpec.subject("OU=ops, O=lb4j test").uris("spiffe://lb4j.test/batch").build());

    assertThat(identity.commonName()).isEmpty();
    assertThat(identity.groups()).containsExactly("ops");
    assertThat(identity.uris()).containsExactly("spiffe://lb4j.test/batch");
    assertThat(identity.displayName()).isEqualTo("spiffe://lb4j.test/batch");
    assertThat(identity.isAnonymous()).isFalse();
  }

  @Test
  void severalGroupsKeepTheOrderOfTheSubjectText() {
    assertThat(identityOf("CN=dave, OU=ops, OU=dev, OU=oncall, O=lb4j test").groups())
        .containsExactly("ops", "dev", "oncall");
  }

  @Test
  void escapedCommaIsPartOfTheName() {
    assertThat(identityOf("CN=a\\,b, OU=ops").commonName()).isEqualTo("a,b");
  }

  @Test
  void quotedPlusIsPartOfTheNameNotASecondAttribute() {
    ClientIdentity identity = identityOf("CN=\"x+y\", OU=ops");

    assertThat(identity.commonName()).isEqualTo("x+y");
    assertThat(identity.groups()).containsExactly("ops");
  }

  @Test
  void escapedPlusInAGroupIsPartOfTheGroup() {
    assertThat(identityOf("CN=erin, OU=a\\+CN=b").groups()).containsExactly("a+CN=b");
    assertThat(identityOf("CN=erin, OU=a\\+CN=b").commonName()).isEqualTo("erin");
  }

  @Test
  void apostropheNeedsNoEscape() {
    assertThat(identityOf("CN=O'Brien").commonName()).isEqualTo("O'Brien");
  }

  @Test
  void leadingHashIsPartOfTheName() {
    ClientIdentity identity = identityOf("CN=\\#1 fan, OU=\\#ops");

    assertThat(identity.commonName()).isEqualTo("#1 fan");
    assertThat(identity.groups()).containsExactly("#ops");
  }

  @Test
  void nonAsciiNamesAreKeptAsWritten() {
    ClientIdentity identity = identityOf("CN=Zoë Ångström 山田, OU=Opérations");

    assertThat(identity.commonName()).isEqualTo("Zoë Ångström 山田");
    assertThat(identity.groups()).containsExactly("Opérations");
  }

  @Test
  void commonNameThatIsNotAStringIsRefusedRatherThanGarbled() {
    // #04 03 61 62 63: an OCTET STRING "abc", where a CN must be a string type.
    var certificate = PKI.client(ClientSpec.subject("CN=#0403616263, OU=ops").build()).certificate();

    assertThatThrownBy(() -> ClientIdentity.fromCertificate(certificate))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("certificate subject CN must be a string but was #0403616263");
  }
}
