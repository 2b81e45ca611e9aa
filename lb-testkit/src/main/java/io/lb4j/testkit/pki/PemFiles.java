package io.lb4j.testkit.pki;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where {@link IssuedCertificate#writePem(Path, String)} wrote a certificate and its key.
 *
 * @param certificate the PEM file holding the certificate chain, leaf first
 * @param privateKey the PEM file holding the private key, readable by its owner only where the
 *     file system has POSIX permissions
 */
public record PemFiles(Path certificate, Path privateKey) {

  /**
   * Checks the parts.
   *
   * @throws NullPointerException if either path is null
   */
  public PemFiles {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
  }
}
