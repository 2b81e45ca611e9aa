package io.lb4j.testkit.pki;

import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Set;

/** Runs the JDK's PKIX validation of a leaf against a CA, as a TLS peer would. */
final class Pkix {

  private Pkix() {}

  /** Validates {@code leaf} against {@code ca}; throws what the JDK's validator throws. */
  static void validate(IssuedCertificate leaf, X509Certificate ca) throws Exception {
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    parameters.setRevocationEnabled(false);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    // The path excludes the trust anchor, as TLS stacks build it.
    var path = factory.generateCertPath(
        leaf.chain().stream().filter(c -> !c.equals(ca)).toList());
    CertPathValidator.getInstance("PKIX").validate(path, parameters);
  }

  static CertPathValidatorException.Reason failureReason(IssuedCertificate leaf,
      X509Certificate ca) throws Exception {
    try {
      validate(leaf, ca);
    } catch (CertPathValidatorException e) {
      return e.getReason();
    }
    throw new AssertionError(leaf + " validated against " + ca.getSubjectX500Principal());
  }
}
