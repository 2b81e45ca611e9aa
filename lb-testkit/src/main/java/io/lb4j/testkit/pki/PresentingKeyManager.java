package io.lb4j.testkit.pki;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager with one key that presents it whenever the peer accepts its key type, whatever
 * issuers the peer names. The JDK's own key managers hold back a certificate the peer's issuer
 * list does not cover, which would hide from a test how a server treats a certificate from the
 * wrong CA: the server would see no certificate at all.
 */
final class PresentingKeyManager extends X509ExtendedKeyManager {

  private static final String ALIAS = IssuedCertificate.KEY_ALIAS;

  private final IssuedCertificate issued;
  private final X509Certificate[] chain;
  private final String keyAlgorithm;

  PresentingKeyManager(IssuedCertificate issued) {
    this.issued = issued;
    this.chain = issued.chain().toArray(new X509Certificate[0]);
    this.keyAlgorithm = issued.privateKey().getAlgorithm();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return choose(keyTypes);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return choose(keyTypes);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? chain.clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? issued.privateKey() : null;
  }

  private String choose(String[] keyTypes) {
    if (keyTypes != null) {
      for (String keyType : keyTypes) {
        if (fits(keyType)) {
          return ALIAS;
        }
      }
    }
    return null;
  }

  // TLS 1.2 servers may ask for "EC_EC" or "RSA_EC" style types: the key's part comes first.
  private boolean fits(String keyType) {
    return keyType != null
        && (keyType.equals(keyAlgorithm) || keyType.startsWith(keyAlgorithm + "_"));
  }
}
