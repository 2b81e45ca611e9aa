package io.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API's value types check their input at once and say what was wrong. */
class ValuesTest {

  @Test
  void hostParsesNamesIpv4AndBracketedIpv6() {
    assertThat(Host.parse("127.0.0.1:7001")).isEqualTo(Host.of("127.0.0.1", 7001));
    assertThat(Host.parse(" api.internal:443 ")).isEqualTo(Host.of("api.internal", 443));
    assertThat(Host.parse("[::1]:9000")).isEqualTo(Host.of("::1", 9000));
    assertThat(Host.of("::1", 9000)).hasToString("[::1]:9000");
  }

  @Test
  void hostRefusesMalformedAddressesNamingThem() {
    assertThatThrownBy(() -> Host.parse("localhost"))
        .hasMessage("address must be host:port but was 'localhost'");
    assertThatThrownBy(() -> Host.parse("::1:80"))
        .hasMessageContaining("IPv6 address must be written in brackets");
    assertThatThrownBy(() -> Host.parse("h:http")).hasMessage("port must be a number but was 'h:http'");
    assertThatThrownBy(() -> Host.of("h", 0)).hasMessage("port must be from 1 to 65535 but was 0");
    assertThatThrownBy(() -> Host.of(" ", 80)).hasMessage("host name must not be blank");
  }

  @Test
  void durationTextReadsAndWritesTheConfigurationsForm() {
    assertThat(DurationText.parse(" 500ms ")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationText.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DurationText.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(DurationText.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(DurationText.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(DurationText.format(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(DurationText.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(DurationText.format(Duration.ofSeconds(-2))).isEqualTo("-2s");
    for (Duration d : List.of(Duration.ofMillis(1), Duration.ofHours(25), Duration.ofMillis(61_001))) {
      assertThat(DurationText.parse(DurationText.format(d))).isEqualTo(d);
    }
    assertThatThrownBy(() -> DurationText.parse("PT10S"))
        .hasMessage("'PT10S' is not a duration (use 500ms, 2s, 1m, 1h)");
  }

  @Test
  void upstreamWeighsHostsOneUnlessSetAndForgetsWeightsOfHostsItDropped() {
    Host a = Host.of("10.0.0.1", 1);
    Host b = Host.of("10.0.0.2", 1);
    Upstream u = Upstream.builder("api").hosts(List.of(a, b)).weight(a, 3).build();
    assertThat(u.weight(a)).isEqualTo(3);
    assertThat(u.weight(b)).isEqualTo(Defaults.HOST_WEIGHT);
    assertThat(u.toBuilder().build().weight(a)).isEqualTo(3);

    Upstream withoutA = u.toBuilder().hosts(List.of(b)).build();
    assertThat(withoutA.toBuilder().addHosts(a).build().weight(a)).isEqualTo(Defaults.HOST_WEIGHT);
    assertThatThrownBy(() -> Upstream.builder("api").weight(a, 0))
        .hasMessage("weight must be from 1 to 256 but was 0");
    assertThatThrownBy(() -> Upstream.builder("api").weight(a, Defaults.MAX_HOST_WEIGHT + 1))
        .isInstanceOf(InvalidSettingException.class);
  }

  @Test
  void upstreamDropsDuplicateHostsAndKeepsOrder() {
    Host a = Host.of("10.0.0.1", 1);
    Host b = Host.of("10.0.0.2", 1);
    Upstream u = Upstream.builder("api").hosts(List.of(b, a, b)).addHosts(a, Host.of("10.0.0.3", 1)).build();
    assertThat(u.hosts()).containsExactly(b, a, Host.of("10.0.0.3", 1));
  }

  @Test
  void upstreamStartsFromTheDefaultsAndValidatesEachSetting() {
    Upstream u = Upstream.builder("api").build();
    assertThat(u.connectTimeout()).isEqualTo(Defaults.CONNECT_TIMEOUT);
    assertThat(u.idleTimeout()).isEqualTo(Defaults.IDLE_TIMEOUT);
    assertThat(u.connectAttempts()).isEqualTo(Defaults.CONNECT_ATTEMPTS);
    assertThat(u.strategy()).isEmpty();
    assertThat(u.healthCheck()).isEmpty();
    assertThatThrownBy(() -> Upstream.builder("api").connectTimeout(Duration.ZERO))
        .hasMessage("connectTimeout must be positive but was PT0S");
    assertThatThrownBy(() -> Upstream.builder("api").connectAttempts(0))
        .hasMessage("connectAttempts must be at least 1 but was 0");
    assertThatThrownBy(() -> Upstream.builder(" ")).hasMessage("upstream name must not be blank");
  }

  @Test
  void toBuilderCopiesEverySetting() {
    HealthCheck check = HealthCheck.defaults();
    Upstream u =
        Upstream.builder("api")
            .addHosts(Host.of("h", 1))
            .connectTimeout(Duration.ofSeconds(2))
            .idleTimeout(Duration.ofMinutes(3))
            .connectAttempts(5)
            .healthCheck(check)
            .passiveDownTime(Duration.ofSeconds(7))
            .build();
    Upstream copy = u.toBuilder().build();
    assertThat(copy.hosts()).isEqualTo(u.hosts());
    assertThat(copy.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(copy.idleTimeout()).isEqualTo(Duration.ofMinutes(3));
    assertThat(copy.connectAttempts()).isEqualTo(5);
    assertThat(copy.healthCheck()).contains(check);
    assertThat(copy.passiveDownTime()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void healthCheckRefusesThresholdsBelowOne() {
    assertThatThrownBy(() -> HealthCheck.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, 1))
        .hasMessage("rise must be at least 1 but was 0");
    assertThatThrownBy(() -> HealthCheck.of(Duration.ofSeconds(1), Duration.ofMillis(-1), 1, 1))
        .hasMessage("timeout must be positive but was PT-0.001S");
  }

  @Test
  void decisionsAreValuesThatSayWhy() {
    assertThat(Decision.admit().admitted()).isTrue();
    assertThat(Decision.admit()).isSameAs(Decision.admit());
    Refuse r = Decision.rateLimited("too fast", Duration.ofMillis(200));
    assertThat(r.admitted()).isFalse();
    assertThat(r.reason()).isEqualTo(RefusalReason.RATE_LIMITED);
    assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(200));
    assertThat(Decision.refuse(RefusalReason.UNAUTHORIZED, "no").retryAfter()).isZero();
    assertThatThrownBy(() -> new Refuse(RefusalReason.NO_HOST, "x", Duration.ofSeconds(-1)))
        .hasMessage("retryAfter must not be negative but was PT-1S");
  }

  @Test
  void refusalHasACauseOnlyWhenGivenOne() {
    assertThat(Decision.refuse(RefusalReason.TLS_FAILED, "unknown CA").causeIfAny()).isEmpty();
    Refuse revoked = new Refuse(RefusalReason.TLS_FAILED, "certificate revoked", Duration.ZERO,
        RefusalCause.REVOKED);
    assertThat(revoked.causeIfAny()).contains(RefusalCause.REVOKED);
    assertThat(revoked).isNotEqualTo(
        new Refuse(RefusalReason.TLS_FAILED, "certificate revoked", Duration.ZERO));
  }

  @Test
  void anonymousIdentityIsRecognisedAndNamedByADash() {
    assertThat(ClientIdentity.ANONYMOUS.isAnonymous()).isTrue();
    assertThat(ClientIdentity.ANONYMOUS.displayName()).isEqualTo("-");
    ClientIdentity uriOnly =
        new ClientIdentity("", List.of(), List.of(), List.of("spiffe://x/y"), "ab", java.time.Instant.EPOCH);
    assertThat(uriOnly.isAnonymous()).isFalse();
    assertThat(uriOnly.displayName()).isEqualTo("spiffe://x/y");
  }

  @Test
  void combinedListenerCallsBothInOrder() {
    StringBuilder calls = new StringBuilder();
    ConnectionListener first = new ConnectionListener() {
      @Override
      public void onAccepted(ConnectionInfo c) {
        calls.append("1");
      }
    };
    ConnectionListener second = new ConnectionListener() {
      @Override
      public void onAccepted(ConnectionInfo c) {
        calls.append("2");
      }
    };
    java.net.InetSocketAddress a = new java.net.InetSocketAddress("127.0.0.1", 1);
    ConnectionListener.both(first, second)
        .onAccepted(new ConnectionInfo(1, a, a, "", ClientIdentity.ANONYMOUS));
    assertThat(calls).hasToString("12");
  }
}
