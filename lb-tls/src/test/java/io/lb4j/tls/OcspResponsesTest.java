package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.tls.OcspResponses.Answer;
import io.lb4j.tls.OcspResponses.OcspException;
import io.lb4j.tls.OcspResponses.Request;
import io.lb4j.tls.OcspResponses.Status;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/**
 * The verification of OCSP responses, against responses built here with BouncyCastle: what a
 * responder may sign, the time window, the certificate named, the nonce. A response that is not to
 * be trusted is an {@link OcspException} saying why, never an answer.
 */
class OcspResponsesTest {

  private static final TestPki PKI = TestPki.create();
  private static final IssuedCertificate ALICE = PKI.client("alice");
  private static final X509Certificate ISSUER = PKI.caCertificate();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Request request = request(ALICE);
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  private static Request request(IssuedCertificate client) {
    try {
      return OcspResponses.request(client.certificate(), ISSUER, RANDOM);
    } catch (OcspException e) {
      throw new AssertionError(e);
    }
  }

  /** A response as a responder would build one; each test changes one thing. */
  private final class Response {
    RespID responder = byName(ISSUER);
    PrivateKey key = PKI.ca().privateKey();
    X509Certificate[] carried = {};
    CertificateID id = request.id();
    CertificateStatus status = CertificateStatus.GOOD;
    Instant thisUpdate = now.minus(Duration.ofMinutes(1));
    Instant nextUpdate = now.plus(Duration.ofHours(1));
    byte[] nonce = request.nonce();
    int responseStatus = OCSPRespBuilder.SUCCESSFUL;

    Response signedBy(IssuedCertificate signer) {
      responder = byName(signer.certificate());
      key = signer.privateKey();
      carried = new X509Certificate[] {signer.certificate()};
      return this;
    }

    byte[] encoded() throws Exception {
      if (responseStatus != OCSPRespBuilder.SUCCESSFUL) {
        return new OCSPRespBuilder().build(responseStatus, null).getEncoded();
      }
      BasicOCSPRespBuilder builder = new BasicOCSPRespBuilder(responder);
      builder.addResponse(id, status, Date.from(thisUpdate),
          nextUpdate == null ? null : Date.from(nextUpdate), null);
      if (nonce != null) {
        builder.setResponseExtensions(new Extensions(new Extension(
            OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
            new DEROctetString(nonce).getEncoded())));
      }
      X509CertificateHolder[] chain = new X509CertificateHolder[carried.length];
      for (int i = 0; i < carried.length; i++) {
        chain[i] = new JcaX509CertificateHolder(carried[i]);
      }
      String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      BasicOCSPResp basic = builder.build(
          new JcaContentSignerBuilder(algorithm).build(key), chain, Date.from(now));
      return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    Answer verify() throws Exception {
      return OcspResponses.verify(encoded(), request, ISSUER, now);
    }
  }

  private static RespID byName(X509Certificate certificate) {
    try {
      return new RespID(new JcaX509CertificateHolder(certificate).getSubject());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void trustsGoodAnswerSignedByTheIssuer() throws Exception {
    Answer answer = new Response().verify();

    assertThat(answer.status()).isEqualTo(Status.GOOD);
    assertThat(answer.thisUpdate()).isEqualTo(now.minus(Duration.ofMinutes(1)));
    assertThat(answer.nextUpdate()).isEqualTo(now.plus(Duration.ofHours(1)));
  }

  @Test
  void trustsAnswerOfADelegatedResponderWithTheOcspSigningUsage() throws Exception {
    Response response = new Response().signedBy(PKI.ocspResponder("responder"));
    response.status = new RevokedStatus(Date.from(now.minus(Duration.ofDays(1))),
        CRLReason.keyCompromise);

    Answer answer = response.verify();

    assertThat(answer.status()).isEqualTo(Status.REVOKED);
    assertThat(answer.revokedAt()).isEqualTo(now.minus(Duration.ofDays(1)));
  }

  @Test
  void trustsResponderNamedByKeyHash() throws Exception {
    Response response = new Response();
    response.responder = new RespID(new JcaX509CertificateHolder(ISSUER).getSubjectPublicKeyInfo(),
        new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1));
    response.status = new UnknownStatus();

    assertThat(response.verify().status()).isEqualTo(Status.UNKNOWN);
  }

  @Test
  void refusesAnswerSignedWithAnotherKeyThanTheNamedResponders() throws Exception {
    Response forged = new Response();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    forged.key = generator.generateKeyPair().getPrivate();

    assertThatThrownBy(forged::verify).isInstanceOf(OcspException.class)
        .hasMessage("the response's signature does not verify with the key of "
            + ISSUER.getSubjectX500Principal().getName());
  }

  @Test
  void refusesAnswerOfAResponderTheIssuerDidNotAuthorise() throws Exception {
    IssuedCertificate foreign = TestPki.create("another CA").ocspResponder("foreign");
    assertThatThrownBy(new Response().signedBy(foreign)::verify).isInstanceOf(OcspException.class)
        .hasMessageContaining("which is not issued by");

    IssuedCertificate noUsage = PKI.client("no usage");
    assertThatThrownBy(new Response().signedBy(noUsage)::verify).isInstanceOf(OcspException.class)
        .hasMessageEndingWith("which lacks the OCSP-signing extended key usage");
  }

  @Test
  void refusesAnswerWhoseResponderCertificateIsMissing() throws Exception {
    Response response = new Response().signedBy(PKI.ocspResponder("responder"));
    response.carried = new X509Certificate[0];

    assertThatThrownBy(response::verify).isInstanceOf(OcspException.class)
        .hasMessageStartingWith("the response is not signed by the issuer");
  }

  @Test
  void refusesStaleAnswer() throws Exception {
    Response stale = new Response();
    stale.thisUpdate = now.minus(Duration.ofDays(2));
    stale.nextUpdate = now.minus(Duration.ofDays(1));

    assertThatThrownBy(stale::verify).isInstanceOf(OcspException.class)
        .hasMessageStartingWith("the response is stale");
  }

  @Test
  void acceptsNextUpdateJustPastWithinTheClockSkew() throws Exception {
    Response response = new Response();
    response.nextUpdate = now.minus(Duration.ofMinutes(1));

    assertThat(response.verify().status()).isEqualTo(Status.GOOD);
  }

  @Test
  void refusesAnswerFromTheFuture() throws Exception {
    Response response = new Response();
    response.thisUpdate = now.plus(Duration.ofHours(1));
    response.nextUpdate = now.plus(Duration.ofHours(2));

    assertThatThrownBy(response::verify).isInstanceOf(OcspException.class)
        .hasMessageStartingWith("the response claims to be from the future");
  }

  @Test
  void refusesAnswerAboutAnotherCertificate() throws Exception {
    Response response = new Response();
    response.id = request(PKI.client("bob")).id();

    assertThatThrownBy(response::verify).isInstanceOf(OcspException.class)
        .hasMessage("the response is not about the certificate asked for");

    // The same serial from another CA.
    response.id = new CertificateID(
        new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
        new JcaX509CertificateHolder(TestPki.create("another CA").caCertificate()),
        ALICE.certificate().getSerialNumber());
    assertThatThrownBy(response::verify).isInstanceOf(OcspException.class)
        .hasMessage("the response is not about the certificate asked for");
  }

  @Test
  void refusesAnotherNonceButAcceptsNone() throws Exception {
    Response replayed = new Response();
    replayed.nonce = new BigInteger(128, RANDOM).toByteArray();
    assertThatThrownBy(replayed::verify).isInstanceOf(OcspException.class)
        .hasMessage("the response's nonce is not the request's");

    Response withoutNonce = new Response();
    withoutNonce.nonce = null;
    assertThat(withoutNonce.verify().status()).isEqualTo(Status.GOOD);
  }

  @Test
  void refusesUnsuccessfulOrUnreadableResponses() throws Exception {
    Response later = new Response();
    later.responseStatus = OCSPRespBuilder.TRY_LATER;
    assertThatThrownBy(later::verify).isInstanceOf(OcspException.class)
        .hasMessage("the responder answered tryLater");

    assertThatThrownBy(() -> OcspResponses.verify(new byte[] {1, 2, 3}, request, ISSUER, now))
        .isInstanceOf(OcspException.class)
        .hasMessageStartingWith("the response is not an OCSP response");
  }

  @Test
  void refusesAnswerWithACorruptedSignature() throws Exception {
    byte[] encoded = new Response().encoded();
    // The signature is the response's last bytes: change one.
    encoded[encoded.length - 3] ^= 0x55;

    assertThatThrownBy(() -> OcspResponses.verify(encoded, request, ISSUER, now))
        .isInstanceOf(OcspException.class)
        .hasMessageContaining("signature");
  }
}
