package io.lb4j.testkit.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * The kind of key a certificate is issued for. EC keys are quick to make (about a millisecond);
 * RSA keys take tens to hundreds of milliseconds each, so prefer EC unless RSA is the point.
 */
public enum KeyType {

  /** An elliptic-curve key on NIST P-256 (secp256r1), signing with SHA256withECDSA. */
  EC_P256,

  /** A 2048-bit RSA key with public exponent 65537, signing with SHA256withRSA. */
  RSA_2048;

  KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator generator;
      if (this == EC_P256) {
        generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      } else {
        generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), random);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate " + this + " keys", e);
    }
  }

  /** The JCA name of the signature this kind of key makes when it signs a certificate. */
  String signatureAlgorithm() {
    return this == EC_P256 ? "SHA256withECDSA" : "SHA256withRSA";
  }

  static KeyType of(PrivateKey key) {
    if (key instanceof ECPrivateKey) {
      return EC_P256;
    }
    if (key instanceof RSAPrivateKey) {
      return RSA_2048;
    }
    throw new IllegalArgumentException(
        "private key must be an EC or RSA key but was " + key.getAlgorithm());
  }
}
