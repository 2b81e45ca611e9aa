package io.lb4j.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A server's key and certificate chain and the CAs its clients must chain to, parsed and checked
 * against each other, and the revocation lists of client certificates. Immutable.
 *
 * @param key the server's private key
 * @param chain the server's certificate chain, leaf first
 * @param clientCas the trust anchors of client certificates
 * @param revocations the revocation lists, checked against {@code clientCas}
 * @param digest the SHA-256 of the files this was read from
 */
record TlsMaterial(
    PrivateKey key, List<X509Certificate> chain, List<X509Certificate> clientCas,
    RevocationLists revocations, byte[] digest) {

  /**
   * Parses and checks one snapshot of the files.
   *
   * @throws TlsConfigException naming the setting and the file at fault
   */
  static TlsMaterial parse(
      MaterialFiles files, MaterialFiles.Snapshot snapshot, boolean acceptStaleCrls) {
    List<X509Certificate> chain =
        Pem.certificates("certificateChain", files.certificateChain(), snapshot.chain());
    PrivateKey key = Pem.privateKey("privateKey", files.privateKey(), snapshot.key());
    List<X509Certificate> clientCas =
        Pem.certificates("clientCa", files.clientCa(), snapshot.ca());
    checkOrder(files, chain);
    checkKeyMatches(files, key, chain.get(0));
    RevocationLists revocations =
        RevocationLists.parse(files.crls(), snapshot.crls(), clientCas, acceptStaleCrls);
    return new TlsMaterial(key, chain, clientCas, revocations, snapshot.digest());
  }

  /** Returns the server's own certificate. */
  X509Certificate leaf() {
    return chain.get(0);
  }

  // A chain out of order is served as is and fails at the client; say so at load time instead.
  private static void checkOrder(MaterialFiles files, List<X509Certificate> chain) {
    for (int i = 1; i < chain.size(); i++) {
      X509Certificate child = chain.get(i - 1);
      X509Certificate parent = chain.get(i);
      if (!child.getIssuerX500Principal().equals(parent.getSubjectX500Principal())) {
        throw Pem.fail("certificateChain", files.certificateChain(),
            "certificate " + (i + 1) + " (" + parent.getSubjectX500Principal().getName()
                + ") did not issue certificate " + i + " ("
                + child.getSubjectX500Principal().getName()
                + "); list the server certificate first, then each issuer", null);
      }
    }
  }

  // A key that does not match the leaf fails every handshake; a signature round trip proves the
  // pair belongs together whatever the key type.
  private static void checkKeyMatches(MaterialFiles files, PrivateKey key, X509Certificate leaf) {
    PublicKey publicKey = leaf.getPublicKey();
    if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
      throw Pem.fail("privateKey", files.privateKey(),
          "the " + key.getAlgorithm() + " key does not match the " + publicKey.getAlgorithm()
              + " certificate in " + files.certificateChain(), null);
    }
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    byte[] probe = "lb4j key check".getBytes(StandardCharsets.US_ASCII);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      throw Pem.fail("privateKey", files.privateKey(),
          "the key cannot sign (" + e.getMessage() + ")", e);
    }
    if (!matches) {
      throw Pem.fail("privateKey", files.privateKey(),
          "the key does not match the certificate in " + files.certificateChain(), null);
    }
  }
}
