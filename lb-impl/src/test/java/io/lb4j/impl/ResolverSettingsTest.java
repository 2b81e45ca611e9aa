package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builders' DNS settings are checked when set, with messages naming the setting. */
class ResolverSettingsTest {

  @Test
  void dnsQueryTimeoutMustBePositive() {
    assertThatThrownBy(() -> LoadBalancer.builder().dnsQueryTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dnsQueryTimeout must be positive but was PT0S");
  }

  @Test
  void nameServersMustBeIpAddresses() {
    InetSocketAddress unresolved = InetSocketAddress.createUnresolved("dns.internal", 53);

    assertThatThrownBy(() -> LoadBalancer.builder().nameServers(List.of(unresolved)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nameServers must be IP addresses with a port but was dns.internal/<unresolved>:53");
  }

  @Test
  void nameServersMustHaveAPort() {
    assertThatThrownBy(
            () -> LoadBalancer.builder().nameServers(List.of(new InetSocketAddress("127.0.0.1", 0))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nameServers must be IP addresses with a port but was /127.0.0.1:0");
  }
}
