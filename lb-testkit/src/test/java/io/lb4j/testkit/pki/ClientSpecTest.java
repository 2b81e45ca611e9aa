package io.lb4j.testkit.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ClientSpecTest {

  @Test
  void defaultsToAnEcKeyWithClientAuthAndNoNames() {
    ClientSpec spec = ClientSpec.commonName("alice").build();

    assertThat(spec.commonName()).isEqualTo("alice");
    assertThat(spec.keyType()).isEqualTo(KeyType.EC_P256);
    assertThat(spec.serverAuthOnly()).isFalse();
    assertThat(spec.groups()).isEmpty();
    assertThat(spec.dnsNames()).isEmpty();
    assertThat(spec.uris()).isEmpty();
    assertThat(spec.notBefore()).isEmpty();
    assertThat(spec.notAfter()).isEmpty();
  }

  @Test
  void isAValue() {
    ClientSpec one = ClientSpec.commonName("alice").groups("ops").build();
    ClientSpec same = ClientSpec.commonName("alice").groups("ops").build();

    assertThat(one).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(one).isNotEqualTo(ClientSpec.commonName("alice").groups("dev").build());
  }

  @Test
  void rejectsBlankCommonName() {
    assertThatThrownBy(() -> ClientSpec.commonName(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commonName must not be blank but was ''");
  }

  @Test
  void rejectsBlankGroup() {
    assertThatThrownBy(() -> ClientSpec.commonName("a").groups("ops", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("groups must not be blank but was ' '");
  }

  @Test
  void rejectsRelativeUri() {
    assertThatThrownBy(() -> ClientSpec.commonName("a").uris("lb4j.test/alice"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uris must be absolute URIs but was 'lb4j.test/alice'");
  }

  @Test
  void rejectsValidityThatEndsBeforeItStarts() {
    Instant start = Instant.parse("2030-01-02T00:00:00Z");
    Instant end = Instant.parse("2030-01-01T00:00:00Z");

    assertThatThrownBy(() -> ClientSpec.commonName("a").validity(start, end))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("validity must end after it starts but was 2030-01-02T00:00:00Z to "
            + "2030-01-01T00:00:00Z");
  }

  @Test
  void rawSubjectIsKeptAsGivenWithNoCommonNameOfItsOwn() {
    ClientSpec spec = ClientSpec.subject("OU=ops+CN=bob").build();

    assertThat(spec.subject()).contains("OU=ops+CN=bob");
    assertThat(spec.commonName()).isEmpty();
    assertThat(spec).isNotEqualTo(ClientSpec.subject("OU=ops, CN=bob").build());
  }

  @Test
  void rejectsRawSubjectThatIsNotADistinguishedName() {
    assertThatThrownBy(() -> ClientSpec.subject("bob"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("subject must be a distinguished name but was 'bob'");
  }

  @Test
  void rejectsGroupsBesideARawSubject() {
    assertThatThrownBy(() -> ClientSpec.subject("CN=bob").groups("ops"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("groups cannot be added to the raw subject 'CN=bob': write them in it as OU");
  }
}
