package io.lb4j.testkit.pki;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/** PEM text for certificates and keys, and writing it to files without a half-written moment. */
final class Pem {

  private static final Base64.Encoder BASE64 =
      Base64.getMimeEncoder(64, "\n".getBytes(US_ASCII));

  private Pem() {}

  static String crls(List<X509CRL> crls) {
    StringBuilder pem = new StringBuilder();
    for (X509CRL crl : crls) {
      pem.append(block("X509 CRL", der(crl)));
    }
    return pem.toString();
  }

  static byte[] der(X509CRL crl) {
    try {
      return crl.getEncoded();
    } catch (CRLException e) {
      throw new IllegalStateException("cannot encode the revocation list of "
          + crl.getIssuerX500Principal(), e);
    }
  }

  static String certificates(List<X509Certificate> chain) {
    StringBuilder pem = new StringBuilder();
    for (X509Certificate certificate : chain) {
      try {
        pem.append(block("CERTIFICATE", certificate.getEncoded()));
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException("cannot encode certificate "
            + certificate.getSubjectX500Principal(), e);
      }
    }
    return pem.toString();
  }

  /**
   * Encodes {@code key}; the traditional EC form needs the public key, which comes from
   * {@code certificate}.
   */
  static String privateKey(PrivateKey key, X509Certificate certificate, KeyFormat format) {
    byte[] pkcs8 = key.getEncoded();
    if (format == KeyFormat.PKCS8) {
      return block("PRIVATE KEY", pkcs8);
    }
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
      ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
      if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
        return block("RSA PRIVATE KEY",
            info.parsePrivateKey().toASN1Primitive().getEncoded(ASN1Encoding.DER));
      }
      if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
        // PKCS#8 keeps the curve in the algorithm identifier and the JDK leaves the public key
        // out; a SEC 1 file must carry both or OpenSSL cannot use it.
        ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
        org.bouncycastle.asn1.sec.ECPrivateKey inner =
            org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        ASN1BitString publicKey = SubjectPublicKeyInfo
            .getInstance(certificate.getPublicKey().getEncoded()).getPublicKeyData();
        int orderBits = ((ECPrivateKey) key).getParams().getOrder().bitLength();
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
            orderBits, inner.getKey(), publicKey, curve);
        return block("EC PRIVATE KEY", sec1.getEncoded(ASN1Encoding.DER));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot re-encode a " + key.getAlgorithm() + " key", e);
    }
    throw new IllegalArgumentException("private key must be an EC or RSA key for the "
        + format + " format but was " + key.getAlgorithm());
  }

  /**
   * Writes {@code text} to {@code file} through a temporary file in the same folder and a rename,
   * so a reader (a reloading server) sees the old content or the new, never a part. A secret file
   * is readable by its owner only where the file system has POSIX permissions.
   */
  static Path write(Path file, String text, boolean secret) {
    return write(file, text.getBytes(US_ASCII), secret);
  }

  /** Writes bytes as {@link #write(Path, String, boolean)} writes text. */
  static Path write(Path file, byte[] content, boolean secret) {
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    Path temporary = null;
    try {
      Files.createDirectories(dir);
      // Temporary files start owner-only, so a key is never readable by others, not even briefly.
      temporary = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
      Files.write(temporary, content);
      if (!secret && posix()) {
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-r--r--"));
      }
      try {
        Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      temporary = null;
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
          // The write already failed; that failure is the one to report.
        }
      }
    }
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static String block(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + BASE64.encodeToString(der) + "\n-----END " + type
        + "-----\n";
  }
}
