package io.lb4j.testkit.pki;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a certificate to be signed says: its subject and key, validity, whether it is a CA, its
 * subject alternative names and extended key usages (either may be empty, and is then left out),
 * and the OCSP responder URL of its authority information access (null to leave it out).
 */
record Template(
    X500Name subject,
    PublicKey publicKey,
    Instant notBefore,
    Instant notAfter,
    boolean certificateAuthority,
    List<GeneralName> subjectAltNames,
    List<KeyPurposeId> extendedKeyUsages,
    String ocspResponder) {

  Template(X500Name subject, PublicKey publicKey, Instant notBefore, Instant notAfter,
      boolean certificateAuthority, List<GeneralName> subjectAltNames,
      List<KeyPurposeId> extendedKeyUsages) {
    this(subject, publicKey, notBefore, notAfter, certificateAuthority, subjectAltNames,
        extendedKeyUsages, null);
  }

  Template {
    subjectAltNames = List.copyOf(subjectAltNames);
    extendedKeyUsages = List.copyOf(extendedKeyUsages);
  }
}
