package io.lb4j.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class PeersTest {

  private static final Peers LOCAL = Peers.in(Map.of("PATH", "/usr/bin"));
  private static final Peers CI = Peers.in(Map.of("CI", "true"));

  @Test
  void missingPeerSkipsTheTestWithTheReasonOutsideCi() {
    assertThatThrownBy(() -> LOCAL.check(false, "redis-server", () -> "not on the PATH"))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("redis-server is missing")
        .hasMessageContaining("not on the PATH");
  }

  @Test
  void missingPeerFailsTheTestInCiAndSaysCiRunMustInstallIt() {
    assertThatThrownBy(() -> CI.check(false, "redis-server", () -> "not on the PATH"))
        .isExactlyInstanceOf(AssertionError.class)
        .hasMessageContaining("redis-server is missing and CI is true")
        .hasMessageContaining(".ci/run must install it")
        .hasMessageContaining("not on the PATH");
  }

  @Test
  void ciIsTrueInAnyCaseAndOnlyTrue() {
    assertThatThrownBy(() -> Peers.in(Map.of("CI", "TRUE")).check(false, "socat", () -> "absent"))
        .isExactlyInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> Peers.in(Map.of("CI", "false")).check(false, "socat", () -> "absent"))
        .isInstanceOf(TestAbortedException.class);
    assertThatThrownBy(() -> Peers.in(Map.of("CI", "")).check(false, "socat", () -> "absent"))
        .isInstanceOf(TestAbortedException.class);
  }

  @Test
  void presentPeerPassesInEitherModeWithoutAskingWhy() {
    AtomicBoolean asked = new AtomicBoolean();
    for (Peers peers : new Peers[] {LOCAL, CI}) {
      assertThatCode(() -> peers.check(true, "openssl", () -> {
        asked.set(true);
        return "unused";
      })).doesNotThrowAnyException();
    }
    assertThat(asked).isFalse();
  }

  @Test
  void findsACommandOnThePathAndNotOneThatIsNot() {
    // sh is on the PATH of every machine these tests run on; the other name is on none.
    assertThat(Peers.onPath("sh")).isTrue();
    assertThat(Peers.onPath("lb4j-no-such-command-" + System.nanoTime())).isFalse();
  }
}
