package io.lb4j.testkit.pki;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A certificate, the chain it is presented with and its private key, as {@link TestPki} issues
 * them, with the encodings servers and clients load.
 *
 * <pre>{@code
 * IssuedCertificate server = pki.server("localhost", "127.0.0.1");
 * PemFiles files = server.writePem(dir, "server");            // server.pem, server-key.pem
 * SslContext context = SslContextBuilder.forServer(files.certificate().toFile(),
 *     files.privateKey().toFile()).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe. {@link #toString()} leaves the private key out.
 *
 * @param certificate the certificate itself
 * @param chain the certificate first, then its issuers up to and including the CA that signed it;
 *     just the certificate for a CA or a self-signed certificate
 * @param privateKey the certificate's private key
 */
public record IssuedCertificate(
    X509Certificate certificate, List<X509Certificate> chain, PrivateKey privateKey) {

  /** The alias of the key entry in {@link #toKeyStore(char[])}. */
  public static final String KEY_ALIAS = "lb4j";

  /**
   * Checks the parts and copies the chain.
   *
   * @throws NullPointerException if any part or chain element is null
   * @throws IllegalArgumentException if the chain does not start with the certificate
   */
  public IssuedCertificate {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
    if (chain.isEmpty() || !chain.get(0).equals(certificate)) {
      throw new IllegalArgumentException("chain must start with the certificate "
          + certificate.getSubjectX500Principal().getName());
    }
  }

  /**
   * Returns the chain as PEM, leaf first: what a server or client presents.
   *
   * @return one {@code CERTIFICATE} block per chain element
   */
  public String certificatePem() {
    return Pem.certificates(chain);
  }

  /**
   * Returns the private key as PEM.
   *
   * @param format PKCS#8 or the key type's traditional structure
   * @return one PEM block
   * @throws NullPointerException if {@code format} is null
   */
  public String privateKeyPem(KeyFormat format) {
    Objects.requireNonNull(format, "format");
    return Pem.privateKey(privateKey, certificate, format);
  }

  /**
   * Writes {@code <baseName>.pem} (the chain) and {@code <baseName>-key.pem} (the key, PKCS#8)
   * into {@code dir}, creating it if needed. See {@link #writePem(Path, String, KeyFormat)}.
   *
   * @param dir the folder
   * @param baseName the file name stem, without folders
   * @return the two files
   * @throws java.io.UncheckedIOException if a file cannot be written
   * @throws IllegalArgumentException if {@code baseName} is blank or holds a path separator
   */
  public PemFiles writePem(Path dir, String baseName) {
    return writePem(dir, baseName, KeyFormat.PKCS8);
  }

  /**
   * Writes {@code <baseName>.pem} (the chain) and {@code <baseName>-key.pem} (the key in
   * {@code format}) into {@code dir}, creating it if needed and replacing existing files. Each file
   * is replaced in one rename, so a reloading server never reads half a file; the key file is
   * readable by its owner only where the file system has POSIX permissions.
   *
   * @param dir the folder
   * @param baseName the file name stem, without folders
   * @param format the key's format
   * @return the two files
   * @throws java.io.UncheckedIOException if a file cannot be written
   * @throws IllegalArgumentException if {@code baseName} is blank or holds a path separator
   */
  public PemFiles writePem(Path dir, String baseName, KeyFormat format) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(baseName, "baseName");
    Objects.requireNonNull(format, "format");
    if (baseName.isBlank() || baseName.contains("/") || baseName.contains("\\")) {
      throw new IllegalArgumentException(
          "baseName must be a plain file name but was '" + baseName + "'");
    }
    Path certificateFile = Pem.write(dir.resolve(baseName + ".pem"), certificatePem(), false);
    Path keyFile = Pem.write(dir.resolve(baseName + "-key.pem"), privateKeyPem(format), true);
    return new PemFiles(certificateFile, keyFile);
  }

  /**
   * Returns a new PKCS#12 key store holding this key and chain under {@link #KEY_ALIAS}, for JDK
   * clients and servers.
   *
   * @param password protects the key entry (and is the store's password when saved); not null,
   *     may be empty
   * @return a loaded key store
   * @throws NullPointerException if {@code password} is null
   */
  public KeyStore toKeyStore(char[] password) {
    Objects.requireNonNull(password, "password");
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(KEY_ALIAS, privateKey, password, chain.toArray(new Certificate[0]));
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a PKCS12 key store", e);
    }
  }

  /** Returns the subject, serial number, validity and chain length; never the key. */
  @Override
  public String toString() {
    return "IssuedCertificate[subject=" + certificate.getSubjectX500Principal().getName()
        + ", serial=" + certificate.getSerialNumber().toString(16)
        + ", notBefore=" + certificate.getNotBefore().toInstant()
        + ", notAfter=" + certificate.getNotAfter().toInstant()
        + ", chain=" + chain.size() + "]";
  }
}
