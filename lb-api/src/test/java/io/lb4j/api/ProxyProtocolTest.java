package io.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The PROXY protocol settings of an upstream: defaults, copies, and refusals that name the setting. */
class ProxyProtocolTest {

  @Test
  void v2SendsEveryLb4jTlvButTheCertificateUnlessAsked() {
    assertThat(ProxyProtocol.v2().tlvs())
        .containsExactlyInAnyOrder(
            ProxyTlv.URIS, ProxyTlv.DNS_NAMES, ProxyTlv.GROUPS, ProxyTlv.FINGERPRINT,
            ProxyTlv.UPSTREAM);
    assertThat(ProxyProtocol.v2().withTlvs(EnumSet.of(ProxyTlv.CLIENT_CERTIFICATE)).tlvs())
        .containsExactly(ProxyTlv.CLIENT_CERTIFICATE);
    assertThat(ProxyProtocol.v1().tlvs()).isEmpty();
  }

  @Test
  void lb4jTlvsTakeE0ToE7() {
    for (ProxyTlv t : ProxyTlv.values()) {
      assertThat(t.type()).isBetween(0xE0, 0xE7);
    }
    assertThat(ProxyTlv.URIS.type()).isEqualTo(0xE0);
    assertThat(ProxyTlv.CLIENT_CERTIFICATE.type()).isEqualTo(0xE5);
  }

  @Test
  void v1RefusesTlvsNamingTheSetting() {
    assertThatThrownBy(() -> ProxyProtocol.v1().withTlvs(Set.of()))
        .isInstanceOfSatisfying(
            InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("proxyTlvs"));
    assertThatThrownBy(() -> ProxyProtocol.v1().withExtraTlvs(c -> List.of()))
        .isInstanceOfSatisfying(
            InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("extraTlvs"));
  }

  @Test
  void embedderTlvsStayInE8ToEf() {
    assertThat(ProxyTlvSource.Tlv.of(0xE8, new byte[] {1}).type()).isEqualTo(0xE8);
    assertThat(ProxyTlvSource.Tlv.of(0xEF, new byte[0]).length()).isZero();
    assertThatThrownBy(() -> ProxyTlvSource.Tlv.of(0xE0, new byte[0]))
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.problem()).isEqualTo("must be from 0xE8 to 0xEF but was 0xe0"));
    assertThatThrownBy(() -> ProxyTlvSource.Tlv.of(0xE9, new byte[0x10000]))
        .isInstanceOfSatisfying(
            InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("value"));
  }

  @Test
  void tlvValueIsCopiedInAndOut() {
    byte[] value = {1, 2};
    ProxyTlvSource.Tlv tlv = ProxyTlvSource.Tlv.of(0xE8, value);
    value[0] = 9;
    tlv.value()[1] = 9;
    assertThat(tlv.value()).containsExactly(1, 2);
    assertThat(tlv).isEqualTo(ProxyTlvSource.Tlv.of(0xE8, new byte[] {1, 2}));
  }

  @Test
  void upstreamKeepsItsProxyProtocolThroughToBuilder() {
    Upstream u = Upstream.builder("api").proxyProtocol(ProxyProtocol.v1()).build();
    assertThat(u.proxyProtocol()).contains(ProxyProtocol.v1());
    assertThat(u.toBuilder().build().proxyProtocol()).contains(ProxyProtocol.v1());
    assertThat(Upstream.builder("api").build().proxyProtocol()).isEmpty();
  }
}
