package io.lb4j.testkit.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Signs X.509 v3 certificates from {@link Template}s with the JDK's own providers (BouncyCastle
 * only builds and encodes; no provider is registered). The issuer may be the subject itself.
 */
final class Signer {

  // 159 random bits plus one: positive, never zero, and within RFC 5280's 20 octets.
  private static final int SERIAL_BITS = 159;

  private Signer() {}

  static X509Certificate sign(Template template, X500Name issuer, PublicKey issuerPublicKey,
      PrivateKey issuerKey, SecureRandom random) {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      BigInteger serial = new BigInteger(SERIAL_BITS, random).add(BigInteger.ONE);
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, serial,
          Date.from(template.notBefore()), Date.from(template.notAfter()), template.subject(),
          template.publicKey());
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(template.publicKey()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          extensions.createAuthorityKeyIdentifier(issuerPublicKey));
      builder.addExtension(Extension.basicConstraints, true,
          new BasicConstraints(template.certificateAuthority()));
      builder.addExtension(Extension.keyUsage, true, keyUsage(template));
      if (!template.extendedKeyUsages().isEmpty()) {
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
            template.extendedKeyUsages().toArray(new KeyPurposeId[0])));
      }
      if (!template.subjectAltNames().isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
            template.subjectAltNames().toArray(new GeneralName[0])));
      }
      if (template.ocspResponder() != null) {
        builder.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(
            AccessDescription.id_ad_ocsp,
            new GeneralName(GeneralName.uniformResourceIdentifier, template.ocspResponder())));
      }
      ContentSigner signer = new JcaContentSignerBuilder(
          KeyType.of(issuerKey).signatureAlgorithm()).setSecureRandom(random).build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot sign a certificate for " + template.subject(), e);
    }
  }

  private static KeyUsage keyUsage(Template template) {
    if (template.certificateAuthority()) {
      return new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign);
    }
    // TLS 1.2's RSA key exchange encrypts to the key; EC keys only ever sign.
    boolean rsa = "RSA".equals(template.publicKey().getAlgorithm());
    return new KeyUsage(KeyUsage.digitalSignature | (rsa ? KeyUsage.keyEncipherment : 0));
  }
}
