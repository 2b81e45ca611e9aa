package io.lb4j.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * OCSP requests for one client certificate, and the verification of the responses (RFC 6960),
 * with BouncyCastle's structures and the JDK's signature providers. A response is trusted only if
 * it is a successful basic response, signed by the certificate's issuer or by a responder
 * certificate that the issuer signed with the OCSP-signing extended key usage and that is valid
 * now, names the certificate exactly (hash algorithm, issuer name and key hashes, serial), was
 * produced no later than now (with {@link #SKEW}) and, when it names a next update, is not past it;
 * when it carries a nonce, it must be the request's. Anything else is an {@link OcspException}.
 *
 * <p>Stateless and thread-safe; the work (hashes, a signature check) is for a pool thread, not an
 * event loop.
 */
final class OcspResponses {

  /** How far the responder's clock may be from ours, either way (OpenSSL's default too). */
  static final Duration SKEW = Duration.ofMinutes(5);

  private static final int NONCE_BYTES = 16;

  private OcspResponses() {}

  /** What the responder said about the certificate, verified. */
  enum Status { GOOD, REVOKED, UNKNOWN }

  /**
   * A verified answer.
   *
   * @param nextUpdate when the responder promises newer information, or null if it does not say
   * @param revokedAt when it was revoked, or null unless {@code status} is REVOKED
   */
  record Answer(Status status, Instant thisUpdate, Instant nextUpdate, Instant revokedAt) {}

  /** A request for one certificate, and what its response must match. */
  record Request(CertificateID id, byte[] nonce, byte[] encoded) {}

  /** Why a response, or the way to one, cannot be trusted; the message says it in one line. */
  static final class OcspException extends Exception {
    private static final long serialVersionUID = 1L;

    OcspException(String message) {
      super(message);
    }

    OcspException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Builds a request for {@code certificate}, issued by {@code issuer}, with a random nonce; the
   * certificate is named by SHA-1 hashes, which every responder knows (RFC 5019).
   */
  static Request request(X509Certificate certificate, X509Certificate issuer, SecureRandom random)
      throws OcspException {
    try {
      CertificateID id = new CertificateID(sha1(), new JcaX509CertificateHolder(issuer),
          certificate.getSerialNumber());
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      OCSPReqBuilder builder = new OCSPReqBuilder().addRequest(id);
      // The nonce as RFC 8954 writes it: an OCTET STRING inside the extension's value.
      builder.setRequestExtensions(new Extensions(new Extension(
          OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded())));
      return new Request(id, nonce, builder.build().getEncoded());
    } catch (OCSPException | CertificateEncodingException | IOException e) {
      throw new OcspException("cannot build the OCSP request: " + e.getMessage(), e);
    }
  }

  /**
   * Verifies a response to {@code request} and returns what it says about the certificate.
   *
   * @param body the response as received
   * @param issuer the issuer of the certificate asked about
   * @param now the time to check the response's validity at
   * @throws OcspException if the response is not one to trust, saying why
   */
  static Answer verify(byte[] body, Request request, X509Certificate issuer, Instant now)
      throws OcspException {
    BasicOCSPResp basic = basicResponse(body);
    checkSignature(basic, issuer, now);
    SingleResp single = null;
    for (SingleResp candidate : basic.getResponses()) {
      if (candidate.getCertID().equals(request.id())) {
        single = candidate;
        break;
      }
    }
    if (single == null) {
      throw new OcspException("the response is not about the certificate asked for");
    }
    checkNonce(basic, request.nonce());
    Instant thisUpdate = single.getThisUpdate().toInstant();
    Instant nextUpdate = single.getNextUpdate() == null
        ? null : single.getNextUpdate().toInstant();
    if (thisUpdate.isAfter(now.plus(SKEW))) {
      throw new OcspException("the response claims to be from the future (thisUpdate "
          + thisUpdate + ")");
    }
    if (nextUpdate != null && nextUpdate.isBefore(now.minus(SKEW))) {
      throw new OcspException("the response is stale (nextUpdate " + nextUpdate + ")");
    }
    CertificateStatus status = single.getCertStatus();
    if (status == CertificateStatus.GOOD) {
      return new Answer(Status.GOOD, thisUpdate, nextUpdate, null);
    }
    if (status instanceof RevokedStatus revoked) {
      return new Answer(
          Status.REVOKED, thisUpdate, nextUpdate, revoked.getRevocationTime().toInstant());
    }
    if (status instanceof UnknownStatus) {
      return new Answer(Status.UNKNOWN, thisUpdate, nextUpdate, null);
    }
    throw new OcspException("the response has a certificate status of no known kind");
  }

  private static BasicOCSPResp basicResponse(byte[] body) throws OcspException {
    OCSPResp response;
    try {
      response = new OCSPResp(body);
    } catch (IOException | RuntimeException e) {
      throw new OcspException("the response is not an OCSP response: " + e.getMessage(), e);
    }
    if (response.getStatus() != OCSPResp.SUCCESSFUL) {
      throw new OcspException("the responder answered " + statusName(response.getStatus()));
    }
    Object object;
    try {
      object = response.getResponseObject();
    } catch (OCSPException | RuntimeException e) {
      throw new OcspException("the response cannot be read: " + e.getMessage(), e);
    }
    if (!(object instanceof BasicOCSPResp basic)) {
      throw new OcspException("the response is not a basic OCSP response");
    }
    return basic;
  }

  /**
   * Accepts the response if the issuer signed it, or a delegated responder that the issuer
   * authorised (RFC 6960, 4.2.2.2) and that the response names as its responder.
   */
  private static void checkSignature(BasicOCSPResp basic, X509Certificate issuer, Instant now)
      throws OcspException {
    RespID responder = basic.getResponderId();
    X509CertificateHolder issuerHolder;
    try {
      issuerHolder = new JcaX509CertificateHolder(issuer);
    } catch (CertificateEncodingException e) {
      throw new OcspException("cannot read the issuer certificate: " + e.getMessage(), e);
    }
    if (names(responder, issuerHolder)) {
      if (signedBy(basic, issuer.getPublicKey())) {
        return;
      }
      throw new OcspException("the response's signature does not verify with the key of "
          + issuer.getSubjectX500Principal().getName());
    }
    for (X509CertificateHolder delegate : basic.getCerts()) {
      if (!names(responder, delegate)) {
        continue;
      }
      String why = unauthorised(delegate, issuerHolder, issuer.getPublicKey(), now);
      if (why != null) {
        throw new OcspException("the response is signed by " + rfc2253(delegate.getSubject())
            + ", " + why);
      }
      if (!signedBy(basic, delegate)) {
        throw new OcspException("the response's signature does not verify with the key of its "
            + "responder " + rfc2253(delegate.getSubject()));
      }
      return;
    }
    throw new OcspException("the response is not signed by the issuer "
        + issuer.getSubjectX500Principal().getName()
        + " nor by a responder certificate it carries");
  }

  /** Why {@code delegate} may not sign answers for {@code issuer}'s certificates, or null. */
  private static String unauthorised(X509CertificateHolder delegate,
      X509CertificateHolder issuer, PublicKey issuerKey, Instant now) {
    if (!delegate.getIssuer().equals(issuer.getSubject())) {
      return "which is not issued by " + rfc2253(issuer.getSubject());
    }
    try {
      if (!delegate.isSignatureValid(verifier(issuerKey))) {
        return "which is not signed by the key of " + rfc2253(issuer.getSubject());
      }
    } catch (Exception e) {
      return "whose signature cannot be checked: " + e.getMessage();
    }
    ExtendedKeyUsage usage = ExtendedKeyUsage.fromExtensions(delegate.getExtensions());
    if (usage == null || !usage.hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning)) {
      return "which lacks the OCSP-signing extended key usage";
    }
    if (!delegate.isValidOn(Date.from(now))) {
      return "which is not valid now (" + delegate.getNotBefore().toInstant() + " to "
          + delegate.getNotAfter().toInstant() + ")";
    }
    return null;
  }

  private static boolean names(RespID responder, X509CertificateHolder certificate)
      throws OcspException {
    X500Name byName = responder.toASN1Primitive().getName();
    if (byName != null) {
      return byName.equals(certificate.getSubject());
    }
    try {
      return responder.equals(new RespID(certificate.getSubjectPublicKeyInfo(), sha1()));
    } catch (OCSPException e) {
      throw new OcspException("cannot hash a responder key: " + e.getMessage(), e);
    }
  }

  private static boolean signedBy(BasicOCSPResp basic, PublicKey key) throws OcspException {
    try {
      return basic.isSignatureValid(verifier(key));
    } catch (OCSPException | RuntimeException e) {
      throw new OcspException("the response's signature cannot be checked: " + e.getMessage(), e);
    }
  }

  private static boolean signedBy(BasicOCSPResp basic, X509CertificateHolder certificate)
      throws OcspException {
    try {
      return basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(certificate));
    } catch (OCSPException | OperatorCreationException | GeneralSecurityException
        | RuntimeException e) {
      throw new OcspException("the response's signature cannot be checked: " + e.getMessage(), e);
    }
  }

  private static ContentVerifierProvider verifier(PublicKey key) throws OcspException {
    try {
      return new JcaContentVerifierProviderBuilder().build(key);
    } catch (OperatorCreationException e) {
      throw new OcspException("cannot check signatures of a " + key.getAlgorithm() + " key", e);
    }
  }

  private static void checkNonce(BasicOCSPResp basic, byte[] nonce) throws OcspException {
    Extension echoed = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
    if (echoed == null) {
      // Optional: many responders (pre-signed answers, CDNs) leave it out.
      return;
    }
    ASN1OctetString value = echoed.getExtnValue();
    byte[] octets = value.getOctets();
    // RFC 8954 wraps the nonce in an OCTET STRING inside the extension value; older responders
    // (and BouncyCastle's builder) put the bytes there directly. Either must be ours.
    if (Arrays.equals(octets, nonce) || Arrays.equals(unwrapped(octets), nonce)) {
      return;
    }
    throw new OcspException("the response's nonce is not the request's");
  }

  private static byte[] unwrapped(byte[] octets) {
    try {
      return ASN1OctetString.getInstance(octets).getOctets();
    } catch (RuntimeException e) {
      return octets;
    }
  }

  /** A name as lb4j's messages write names: RFC 2253, as the JDK prints it. */
  private static String rfc2253(X500Name name) {
    try {
      return new X500Principal(name.getEncoded()).getName();
    } catch (IOException | IllegalArgumentException e) {
      return name.toString();
    }
  }

  private static DigestCalculator sha1() throws OcspException {
    try {
      return new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
    } catch (OperatorCreationException e) {
      throw new OcspException("SHA-1 is not available for OCSP certificate IDs", e);
    }
  }

  private static String statusName(int status) {
    return switch (status) {
      case OCSPResp.MALFORMED_REQUEST -> "malformedRequest";
      case OCSPResp.INTERNAL_ERROR -> "internalError";
      case OCSPResp.TRY_LATER -> "tryLater";
      case OCSPResp.SIG_REQUIRED -> "sigRequired";
      case OCSPResp.UNAUTHORIZED -> "unauthorized";
      default -> "status " + status;
    };
  }
}
