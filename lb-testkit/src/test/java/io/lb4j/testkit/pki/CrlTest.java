package io.lb4j.testkit.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocation lists from {@link TestPki#crl}, and writing them as PEM and DER. */
class CrlTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir Path dir;

  @Test
  void listIsSignedByTheCaAndRevokesTheGivenSerials() throws GeneralSecurityException {
    IssuedCertificate alice = PKI.client("alice");

    X509CRL crl = PKI.crl(alice.certificate().getSerialNumber());

    crl.verify(PKI.caCertificate().getPublicKey());
    assertThat(crl.getIssuerX500Principal()).isEqualTo(PKI.caCertificate().getSubjectX500Principal());
    assertThat(crl.isRevoked(alice.certificate())).isTrue();
    assertThat(crl.isRevoked(PKI.client("bob").certificate())).isFalse();
    assertThat(crl.getNextUpdate()).isAfter(crl.getThisUpdate());
  }

  @Test
  void intermediateSignsItsOwnList() throws GeneralSecurityException {
    TestPki issuing = PKI.intermediate("issuing CA");

    X509CRL crl = issuing.crl(BigInteger.TEN);

    crl.verify(issuing.caCertificate().getPublicKey());
  }

  @Test
  void listCarriesTheGivenDates() {
    Instant thisUpdate = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);
    Instant nextUpdate = thisUpdate.plus(Duration.ofDays(1));

    X509CRL crl = PKI.crl(List.of(), thisUpdate, nextUpdate);

    assertThat(crl.getThisUpdate().toInstant()).isEqualTo(thisUpdate);
    assertThat(crl.getNextUpdate().toInstant()).isEqualTo(nextUpdate);
    assertThat(crl.getRevokedCertificates()).isNull();
    Instant now = Instant.now();
    assertThatThrownBy(() -> PKI.crl(List.of(), now, now))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nextUpdate must be after thisUpdate");
  }

  @Test
  void writesSeveralListsAsPemAndAsDer() throws IOException, GeneralSecurityException {
    X509CRL first = PKI.crl(BigInteger.ONE);
    X509CRL second = PKI.crl(BigInteger.TWO);

    Path pem = TestPki.writeCrlPem(dir.resolve("lists.pem"), first, second);
    Path der = TestPki.writeCrlDer(dir.resolve("lists.der"), first, second);

    assertThat(Files.readString(pem, StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN X509 CRL-----");
    assertThat(read(pem)).containsExactly((CRL) first, second);
    assertThat(Files.readAllBytes(der)[0]).isEqualTo((byte) 0x30);
    assertThat(read(der)).containsExactly((CRL) first, second);
  }

  private static List<CRL> read(Path file)
      throws IOException, GeneralSecurityException {
    return List.copyOf(CertificateFactory.getInstance("X.509")
        .generateCRLs(new ByteArrayInputStream(Files.readAllBytes(file))));
  }
}
