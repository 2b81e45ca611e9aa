package io.lb4j.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Reads certificates and private keys out of PEM text. Keys may be PKCS#8 ({@code PRIVATE KEY}) or
 * traditional ({@code RSA PRIVATE KEY}, PKCS#1; {@code EC PRIVATE KEY}, SEC 1), unencrypted; the
 * traditional forms are rewrapped as PKCS#8 so the JDK's key factories read them, with no
 * cryptography library beyond the JDK.
 *
 * <p>Every failure is a {@link TlsConfigException} naming the setting and the file.
 */
final class Pem {

  private static final String CERTIFICATE = "CERTIFICATE";
  private static final String PKCS8 = "PRIVATE KEY";
  private static final String PKCS8_ENCRYPTED = "ENCRYPTED PRIVATE KEY";
  private static final String PKCS1_RSA = "RSA PRIVATE KEY";
  private static final String SEC1_EC = "EC PRIVATE KEY";

  // DER of the OID values (without tag and length).
  private static final byte[] RSA_ENCRYPTION = {
    0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01
  };
  private static final byte[] EC_PUBLIC_KEY = {
    0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01
  };

  private Pem() {}

  /** One {@code -----BEGIN label-----} ... {@code -----END label-----} block. */
  record Block(String label, byte[] der, boolean encrypted) {}

  /**
   * Reads every certificate in the file, in file order.
   *
   * @throws TlsConfigException if the text is not PEM, a certificate does not parse, or there is
   *     none
   */
  static List<X509Certificate> certificates(String setting, Path path, byte[] content) {
    List<X509Certificate> certificates = new ArrayList<>();
    CertificateFactory factory = x509Factory();
    for (Block block : blocks(setting, path, content)) {
      if (!block.label().equals(CERTIFICATE)) {
        continue;
      }
      try {
        certificates.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
      } catch (CertificateException e) {
        throw fail(setting, path,
            "certificate " + (certificates.size() + 1) + " does not parse: " + e.getMessage(), e);
      }
    }
    if (certificates.isEmpty()) {
      throw fail(setting, path, "no certificate found", null);
    }
    return List.copyOf(certificates);
  }

  /**
   * Reads the one private key in the file.
   *
   * @throws TlsConfigException if there is none, more than one, it is encrypted, or it is not an
   *     RSA or EC key
   */
  static PrivateKey privateKey(String setting, Path path, byte[] content) {
    PrivateKey key = null;
    for (Block block : blocks(setting, path, content)) {
      PrivateKey found = switch (block.label()) {
        case PKCS8 -> fromPkcs8(setting, path, block.der());
        case PKCS1_RSA -> fromPkcs1(setting, path, block);
        case SEC1_EC -> fromSec1(setting, path, block);
        case PKCS8_ENCRYPTED -> throw fail(setting, path,
            "the private key is encrypted; give an unencrypted key", null);
        default -> null;
      };
      if (found != null) {
        if (key != null) {
          throw fail(setting, path, "more than one private key found", null);
        }
        key = found;
      }
    }
    if (key == null) {
      throw fail(setting, path, "no private key found", null);
    }
    return key;
  }

  /** Splits PEM text into its blocks; text outside blocks (comments, bag attributes) is skipped. */
  static List<Block> blocks(String setting, Path path, byte[] content) {
    List<Block> blocks = new ArrayList<>();
    String label = null;
    boolean encrypted = false;
    StringBuilder base64 = new StringBuilder();
    int lineNumber = 0;
    for (String raw : new String(content, StandardCharsets.US_ASCII).split("\r?\n|\r")) {
      lineNumber++;
      String line = raw.strip();
      if (label == null) {
        if (line.startsWith("-----BEGIN ") && line.endsWith("-----")) {
          label = line.substring(11, line.length() - 5).strip();
          encrypted = false;
          base64.setLength(0);
        }
      } else if (line.startsWith("-----END ")) {
        String end = line.endsWith("-----") ? line.substring(9, line.length() - 5).strip() : line;
        if (!end.equals(label)) {
          throw fail(setting, path,
              "line " + lineNumber + ": BEGIN " + label + " is closed by END " + end, null);
        }
        try {
          blocks.add(new Block(label, Base64.getDecoder().decode(base64.toString()), encrypted));
        } catch (IllegalArgumentException e) {
          throw fail(setting, path,
              "the " + label + " block ending on line " + lineNumber + " is not valid base64", e);
        }
        label = null;
      } else if (line.indexOf(':') > 0) {
        // RFC 1421 headers of traditional keys; only encryption matters to us.
        if (line.startsWith("Proc-Type:") && line.contains("ENCRYPTED")) {
          encrypted = true;
        }
      } else {
        base64.append(line);
      }
    }
    if (label != null) {
      throw fail(setting, path, "the " + label + " block has no END line", null);
    }
    if (blocks.isEmpty()) {
      throw fail(setting, path, "not a PEM file (no -----BEGIN line)", null);
    }
    return blocks;
  }

  private static PrivateKey fromPkcs8(String setting, Path path, byte[] der) {
    String algorithm;
    try {
      Der.Reader info = new Der.Reader(der).next(Der.SEQUENCE).contents();
      info.next(Der.INTEGER);
      byte[] oid = info.next(Der.SEQUENCE).contents().next(Der.OID).value();
      if (Arrays.equals(oid, RSA_ENCRYPTION)) {
        algorithm = "RSA";
      } else if (Arrays.equals(oid, EC_PUBLIC_KEY)) {
        algorithm = "EC";
      } else {
        throw fail(setting, path,
            "unsupported key algorithm " + Der.oidToString(oid) + "; give an RSA or EC key", null);
      }
    } catch (IllegalArgumentException e) {
      throw fail(setting, path, "the PRIVATE KEY block is not PKCS#8: " + e.getMessage(), e);
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (InvalidKeySpecException e) {
      throw fail(setting, path, "the " + algorithm + " key is malformed: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has RSA and EC key factories", e);
    }
  }

  private static PrivateKey fromPkcs1(String setting, Path path, Block block) {
    if (block.encrypted()) {
      throw fail(setting, path, "the private key is encrypted; give an unencrypted key", null);
    }
    // PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier { rsaEncryption, NULL },
    //                               OCTET STRING { RSAPrivateKey } }
    byte[] pkcs8 = Der.encode(Der.SEQUENCE,
        Der.encode(Der.INTEGER, new byte[] {0}),
        Der.encode(Der.SEQUENCE, Der.encode(Der.OID, RSA_ENCRYPTION), Der.encode(Der.NULL)),
        Der.encode(Der.OCTET_STRING, block.der()));
    return fromPkcs8(setting, path, pkcs8);
  }

  private static PrivateKey fromSec1(String setting, Path path, Block block) {
    if (block.encrypted()) {
      throw fail(setting, path, "the private key is encrypted; give an unencrypted key", null);
    }
    // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
    //                             [0] ECParameters OPTIONAL, [1] publicKey BIT STRING OPTIONAL }
    // PKCS#8 names the curve in its AlgorithmIdentifier, so lift it out of [0].
    byte[] curve = null;
    try {
      Der.Reader key = new Der.Reader(block.der()).next(Der.SEQUENCE).contents();
      key.next(Der.INTEGER);
      key.next(Der.OCTET_STRING);
      while (key.hasMore()) {
        Der.Element element = key.next();
        if (element.tag() == Der.CONTEXT_0) {
          Der.Element parameters = element.contents().next();
          if (parameters.tag() != Der.OID) {
            throw fail(setting, path,
                "the EC key uses explicit curve parameters; give a key on a named curve", null);
          }
          curve = parameters.encoded();
        }
      }
    } catch (IllegalArgumentException e) {
      throw fail(setting, path, "the EC PRIVATE KEY block is not SEC 1: " + e.getMessage(), e);
    }
    if (curve == null) {
      throw fail(setting, path, "the EC key does not name its curve; give it in PKCS#8 form", null);
    }
    byte[] pkcs8 = Der.encode(Der.SEQUENCE,
        Der.encode(Der.INTEGER, new byte[] {0}),
        Der.encode(Der.SEQUENCE, Der.encode(Der.OID, EC_PUBLIC_KEY), curve),
        Der.encode(Der.OCTET_STRING, block.der()));
    return fromPkcs8(setting, path, pkcs8);
  }

  private static CertificateFactory x509Factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("every JDK reads X.509 certificates", e);
    }
  }

  static TlsConfigException fail(String setting, Path path, String reason, Throwable cause) {
    return TlsConfigException.of(setting, path + ": " + reason, cause);
  }
}
