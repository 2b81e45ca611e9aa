package io.lb4j.impl.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.Host;
import io.lb4j.api.InvalidSettingException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DnsDiscovery's settings are checked when set, with errors that name the setting. */
class DnsDiscoverySettingsTest {

  private static void refused(Runnable setting, String name, String message) {
    assertThatThrownBy(setting::run)
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo(name))
        .hasMessage(message);
  }

  @Test
  void anIpAddressIsNotANameToLookUp() {
    refused(() -> DnsDiscovery.addresses(Host.parse("10.0.0.1:80")), "dns",
        "dns must be a DNS name with a port but was the IP address 10.0.0.1:80");
  }

  @Test
  void anSrvNameMustNotBeBlankOrHaveSpaces() {
    refused(() -> DnsDiscovery.srv(" "), "srv",
        "srv must be a DNS name such as _api._tcp.example.internal but was ' '");
    refused(() -> DnsDiscovery.srv("_a._tcp. x"), "srv",
        "srv must be a DNS name such as _api._tcp.example.internal but was '_a._tcp. x'");
  }

  @Test
  void resolversMustBeAddressesWithAPort() {
    refused(() -> DnsDiscovery.srv("_a._tcp.x").resolvers(List.of(InetSocketAddress.createUnresolved("dns", 53))),
        "resolvers", "resolvers must be IP addresses with a port but was dns/<unresolved>:53");
    refused(() -> DnsDiscovery.srv("_a._tcp.x").resolvers(List.of(new InetSocketAddress("127.0.0.1", 0))),
        "resolvers", "resolvers must be IP addresses with a port but was /127.0.0.1:0");
  }

  @Test
  void refreshSettingsMustBePositiveAndInOrder() {
    refused(() -> DnsDiscovery.srv("_a._tcp.x").refresh(Duration.ZERO), "refresh",
        "refresh must be positive but was PT0S");
    refused(() -> DnsDiscovery.srv("_a._tcp.x").minRefresh(Duration.ofSeconds(-1)), "minRefresh",
        "minRefresh must be positive but was PT-1S");
    refused(() -> DnsDiscovery.srv("_a._tcp.x").minRefresh(Duration.ofMinutes(5)).build(), "maxRefresh",
        "maxRefresh must not be shorter than minRefresh (PT5M) but was PT1M");
    refused(() -> DnsDiscovery.srv("_a._tcp.x").queryTimeout(Duration.ZERO), "queryTimeout",
        "queryTimeout must be positive but was PT0S");
  }

  @Test
  void defaultsFollowTheTtlBetweenOneSecondAndOneMinute() {
    DnsDiscovery d = DnsDiscovery.addresses(Host.parse("api.internal.:8443")).build();

    assertThat(d.refresh()).isEmpty();
    assertThat(d.minRefresh()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.maxRefresh()).isEqualTo(Duration.ofMinutes(1));
    assertThat(d.resolvers()).isEmpty();
    assertThat(d.port()).contains(8443);
    assertThat(d).hasToString("dns api.internal:8443");
  }
}
