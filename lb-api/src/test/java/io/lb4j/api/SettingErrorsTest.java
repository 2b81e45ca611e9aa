package io.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every value type and builder of lb-api says which setting a refused value was for. */
class SettingErrorsTest {

  private static InvalidSettingException refusal(Runnable r) {
    try {
      r.run();
    } catch (InvalidSettingException e) {
      return e;
    }
    throw new AssertionError("not refused");
  }

  @Test
  void hostNamesThePartAtFault() {
    assertThat(refusal(() -> Host.parse("localhost")))
        .extracting(InvalidSettingException::setting, InvalidSettingException::value)
        .containsExactly("address", "localhost");
    assertThat(refusal(() -> Host.parse("h:http")).setting()).isEqualTo("port");
    assertThat(refusal(() -> Host.of("h", 0)))
        .extracting(InvalidSettingException::setting, InvalidSettingException::problem)
        .containsExactly("port", "must be from 1 to 65535 but was 0");
    assertThat(refusal(() -> Host.of(" ", 80)))
        .extracting(InvalidSettingException::setting, InvalidSettingException::problem)
        .containsExactly("name", "must not be blank");
  }

  @Test
  void listenAddressAllowsPortZeroAndResolvesTheName() {
    assertThat(Host.parseListenAddress("127.0.0.1:0"))
        .isEqualTo(new InetSocketAddress("127.0.0.1", 0));
    assertThat(Host.parseListenAddress("[::1]:9443").isUnresolved()).isFalse();
  }

  @Test
  void listenAddressRefusesWhatHostParseRefusesAndPortsAbove65535() {
    assertThatThrownBy(() -> Host.parseListenAddress("127.0.0.1:70000"))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("port"))
        .hasMessage("port must be from 0 to 65535 but was 70000");
    assertThatThrownBy(() -> Host.parseListenAddress("localhost"))
        .hasMessage("address must be host:port but was 'localhost'");
    assertThatThrownBy(() -> Host.parseListenAddress("::1:80"))
        .hasMessageContaining("IPv6 address must be written in brackets");
  }

  @Test
  void upstreamBuilderNamesItsSetters() {
    assertThat(refusal(() -> Upstream.builder("api").connectTimeout(Duration.ZERO)).setting())
        .isEqualTo("connectTimeout");
    assertThat(refusal(() -> Upstream.builder("api").idleTimeout(Duration.ZERO)).setting())
        .isEqualTo("idleTimeout");
    assertThat(refusal(() -> Upstream.builder("api").passiveDownTime(Duration.ZERO)).setting())
        .isEqualTo("passiveDownTime");
    assertThat(refusal(() -> Upstream.builder("api").connectAttempts(0)))
        .extracting(InvalidSettingException::setting, InvalidSettingException::problem)
        .containsExactly("connectAttempts", "must be at least 1 but was 0");
    assertThat(refusal(() -> Upstream.builder(" ")))
        .extracting(InvalidSettingException::setting, InvalidSettingException::problem)
        .containsExactly("name", "must not be blank");
  }

  @Test
  void healthCheckNamesItsComponent() {
    Duration s = Duration.ofSeconds(1);
    assertThat(refusal(() -> HealthCheck.of(Duration.ZERO, s, 1, 1)).setting()).isEqualTo("interval");
    assertThat(refusal(() -> HealthCheck.of(s, Duration.ZERO, 1, 1)).setting()).isEqualTo("timeout");
    assertThat(refusal(() -> HealthCheck.of(s, s, 0, 1)).setting()).isEqualTo("rise");
    assertThat(refusal(() -> HealthCheck.of(s, s, 1, 0)).setting()).isEqualTo("fall");
  }

  @Test
  void refuseNamesRetryAfter() {
    assertThat(refusal(() -> new Refuse(RefusalReason.RATE_LIMITED, "x", Duration.ofSeconds(-1)))
        .setting()).isEqualTo("retryAfter");
  }
}
