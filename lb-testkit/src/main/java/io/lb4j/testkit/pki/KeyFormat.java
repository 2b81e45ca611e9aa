package io.lb4j.testkit.pki;

/** How a private key is written as PEM. */
public enum KeyFormat {

  /** PKCS#8, whatever the key type: {@code -----BEGIN PRIVATE KEY-----}. */
  PKCS8,

  /**
   * The key type's own structure, as older OpenSSL wrote it: SEC 1 for EC keys
   * ({@code -----BEGIN EC PRIVATE KEY-----}, with the named curve and the public key) and PKCS#1
   * for RSA keys ({@code -----BEGIN RSA PRIVATE KEY-----}).
   */
  TRADITIONAL
}
