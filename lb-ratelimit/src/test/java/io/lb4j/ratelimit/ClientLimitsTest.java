package io.lb4j.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientLimitsTest {

  private final ClientLimit defaults = ClientLimit.rate(5, 10).withMaxConcurrent(3);

  @Test
  void givesTheDefaultToAClientWithoutOverride() {
    assertThat(ClientLimits.of(defaults).limitFor("bob")).isEqualTo(defaults);
  }

  @Test
  void givesAnOverriddenClientItsOverrideAsWritten() {
    ClientLimits limits = ClientLimits.of(defaults).withOverride("alice", ClientLimit.rate(50, 100));

    assertThat(limits.limitFor("alice")).isEqualTo(ClientLimit.rate(50, 100));
    assertThat(limits.limitFor("alice").hasConcurrencyLimit()).isFalse();
  }

  @Test
  void copiesTheOverrides() {
    Map<String, ClientLimit> overrides = new HashMap<>();
    ClientLimits limits = new ClientLimits(defaults, overrides);

    overrides.put("alice", ClientLimit.unlimited());

    assertThat(limits.limitFor("alice")).isEqualTo(defaults);
  }

  @Test
  void mapsEveryLimit() {
    ClientLimits limits = ClientLimits.of(defaults).withOverride("alice", ClientLimit.rate(50, 100));

    ClientLimits capsOnly = limits.map(ClientLimit::withoutRate);

    assertThat(capsOnly.limitFor("bob")).isEqualTo(ClientLimit.concurrent(3));
    assertThat(capsOnly.limitFor("alice")).isEqualTo(ClientLimit.unlimited());
  }

  @Test
  void refusesANullOverride() {
    Map<String, ClientLimit> overrides = new HashMap<>();
    overrides.put("alice", null);

    assertThatNullPointerException().isThrownBy(() -> new ClientLimits(defaults, overrides))
        .withMessage("override for alice must not be null");
  }
}
