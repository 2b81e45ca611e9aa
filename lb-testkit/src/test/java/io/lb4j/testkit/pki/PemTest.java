package io.lb4j.testkit.pki;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate EC = PKI.client("alice");
  private static final IssuedCertificate RSA = PKI.server(KeyType.RSA_2048, "localhost");

  @TempDir
  Path dir;

  @Test
  void certificatePemHoldsTheChainLeafFirst() throws Exception {
    List<Certificate> parsed = List.copyOf(CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(EC.certificatePem().getBytes(US_ASCII))));

    assertThat(parsed).containsExactlyElementsOf(EC.chain());
    assertThat(EC.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
  }

  @Test
  void pkcs8KeysReadBackAsTheSameKey() throws Exception {
    for (IssuedCertificate issued : new IssuedCertificate[] {EC, RSA}) {
      String pem = issued.privateKeyPem(KeyFormat.PKCS8);

      assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
      byte[] der = Base64.getMimeDecoder().decode(pem
          .replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", ""));
      KeyFactory factory = KeyFactory.getInstance(issued.privateKey().getAlgorithm());
      assertThat(factory.generatePrivate(new PKCS8EncodedKeySpec(der)))
          .isEqualTo(issued.privateKey());
    }
  }

  @Test
  void traditionalEcKeyIsSec1WithCurveAndPublicKey() throws Exception {
    String pem = EC.privateKeyPem(KeyFormat.TRADITIONAL);

    assertThat(pem).startsWith("-----BEGIN EC PRIVATE KEY-----\n");
    KeyPair pair = readKeyPair(pem);
    assertThat(pair.getPublic()).isEqualTo(EC.certificate().getPublicKey());
    assertThat(((ECPrivateKey) pair.getPrivate()).getS())
        .isEqualTo(((ECPrivateKey) EC.privateKey()).getS());
  }

  @Test
  void traditionalRsaKeyIsPkcs1() throws Exception {
    String pem = RSA.privateKeyPem(KeyFormat.TRADITIONAL);

    assertThat(pem).startsWith("-----BEGIN RSA PRIVATE KEY-----\n");
    RSAPrivateCrtKey read = (RSAPrivateCrtKey) readKeyPair(pem).getPrivate();
    RSAPrivateCrtKey original = (RSAPrivateCrtKey) RSA.privateKey();
    assertThat(read.getModulus()).isEqualTo(original.getModulus());
    assertThat(read.getPrivateExponent()).isEqualTo(original.getPrivateExponent());
  }

  @Test
  void rsaLeafMayEncipherKeys() {
    boolean[] usage = RSA.certificate().getKeyUsage();

    assertThat(usage[0]).as("digitalSignature").isTrue();
    assertThat(usage[2]).as("keyEncipherment").isTrue();
    assertThat(EC.certificate().getKeyUsage()[2]).as("EC keyEncipherment").isFalse();
  }

  @Test
  void writePemWritesTheChainAndAnOwnerOnlyKey() throws Exception {
    PemFiles files = EC.writePem(dir.resolve("certs"), "alice");

    assertThat(files.certificate()).isEqualTo(dir.resolve("certs/alice.pem"));
    assertThat(files.privateKey()).isEqualTo(dir.resolve("certs/alice-key.pem"));
    assertThat(Files.readString(files.certificate())).isEqualTo(EC.certificatePem());
    assertThat(Files.readString(files.privateKey())).isEqualTo(EC.privateKeyPem(KeyFormat.PKCS8));
    assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.privateKey())))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.certificate())))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void writePemReplacesEarlierFilesAndLeavesNoTemporaryOnes() throws Exception {
    PKI.client("old").writePem(dir, "client", KeyFormat.TRADITIONAL);

    PemFiles files = EC.writePem(dir, "client", KeyFormat.TRADITIONAL);

    assertThat(Files.readString(files.certificate())).isEqualTo(EC.certificatePem());
    assertThat(Files.readString(files.privateKey()))
        .isEqualTo(EC.privateKeyPem(KeyFormat.TRADITIONAL));
    try (var listing = Files.list(dir)) {
      assertThat(listing.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("client.pem", "client-key.pem");
    }
  }

  @Test
  void writeCaPemWritesTheCaCertificate() throws Exception {
    Path file = PKI.writeCaPem(dir.resolve("ca.pem"));

    try (var in = Files.newInputStream(file)) {
      List<Certificate> parsed =
          List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
      assertThat(parsed).containsExactly(PKI.caCertificate());
    }
  }

  @Test
  void rejectsBaseNameWithAFolder() {
    assertThatThrownBy(() -> EC.writePem(dir, "sub/alice"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("baseName must be a plain file name but was 'sub/alice'");
  }

  @Test
  void keyStoreHoldsTheKeyAndChain() throws Exception {
    char[] password = "secret".toCharArray();

    KeyStore store = EC.toKeyStore(password);

    assertThat(store.getKey(IssuedCertificate.KEY_ALIAS, password)).isEqualTo(EC.privateKey());
    assertThat(store.getCertificateChain(IssuedCertificate.KEY_ALIAS))
        .containsExactlyElementsOf(EC.chain());
  }

  @Test
  void trustStoreHoldsTheCaAsATrustedEntry() throws Exception {
    KeyStore store = PKI.trustStore();

    assertThat(store.isCertificateEntry("ca")).isTrue();
    assertThat(store.getCertificate("ca")).isEqualTo(PKI.caCertificate());
  }

  private static KeyPair readKeyPair(String pem) throws Exception {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return new JcaPEMKeyConverter().getKeyPair((PEMKeyPair) parser.readObject());
    }
  }
}
