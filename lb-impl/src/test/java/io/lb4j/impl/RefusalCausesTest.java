package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.RefusalCause;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RefusalCausesTest {

  private static Throwable wrapped(Throwable root) {
    SSLHandshakeException handshake = new SSLHandshakeException("handshake failed");
    handshake.initCause(new CertificateException("refused", root));
    return handshake;
  }

  private static CertPathValidatorException pkix(BasicReason reason) {
    return new CertPathValidatorException("x", null, null, -1, reason);
  }

  @Test
  void revokedCertificateDeepInTheCausesIsRevoked() {
    assertThat(RefusalCauses.of(wrapped(pkix(BasicReason.REVOKED)))).isEqualTo(RefusalCause.REVOKED);
  }

  @Test
  void undeterminedRevocationStatusIsRevocationUnknown() {
    assertThat(RefusalCauses.of(wrapped(pkix(BasicReason.UNDETERMINED_REVOCATION_STATUS))))
        .isEqualTo(RefusalCause.REVOCATION_UNKNOWN);
  }

  @Test
  void otherFailuresHaveNoCause() {
    assertThat(RefusalCauses.of(wrapped(pkix(BasicReason.EXPIRED)))).isNull();
    assertThat(RefusalCauses.of(new SSLHandshakeException("no cipher suites in common"))).isNull();
    assertThat(RefusalCauses.of(null)).isNull();
  }
}
