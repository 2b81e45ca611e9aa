package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TlsConfigExceptionTest {

  @Test
  void problemIsWhatFollowsTheSetting() {
    TlsConfigException e = TlsConfigException.of("privateKey", "/k.pem: file not found", null);

    assertThat(e).hasMessage("privateKey: /k.pem: file not found");
    assertThat(e.setting()).isEqualTo("privateKey");
    assertThat(e.problem()).isEqualTo("/k.pem: file not found");
  }

  @Test
  void exceptionMadeFromAWholeMessageHasThatMessageAsItsProblem() {
    // Nothing takes a message apart: a message made whole is the problem as it stands.
    assertThat(new TlsConfigException("protocols", "protocols must not be empty").problem())
        .isEqualTo("protocols must not be empty");
    assertThat(TlsConfigException.of("protocols", "TLSv1.1 is not allowed"))
        .hasMessage("protocols: TLSv1.1 is not allowed")
        .extracting(TlsConfigException::problem)
        .isEqualTo("TLSv1.1 is not allowed");
  }

  @Test
  void isNoIllegalArgumentSoParsersCatchingThoseLetItThrough() {
    assertThat(new TlsConfigException("watch", "watch: x"))
        .isNotInstanceOf(IllegalArgumentException.class);
  }
}
