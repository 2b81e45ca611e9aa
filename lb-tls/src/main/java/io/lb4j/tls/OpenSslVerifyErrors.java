package io.lb4j.tls;

import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The client-certificate check of the OpenSSL engine: the JDK's PKIX trust manager, whose refusals
 * are given the X.509 error code that makes BoringSSL send the fitting TLS alert.
 *
 * <p>Netty passes a trust manager's exception to BoringSSL as "unspecified" unless it is a date
 * problem, and BoringSSL answers that with an {@code internal_error} alert: a client with a
 * certificate from the wrong CA would be told the server is broken. Here an unknown issuer becomes
 * {@code unknown_ca}, a certificate not meant for client authentication
 * {@code unsupported_certificate}, a revoked one {@code certificate_revoked}, one covered by a stale
 * revocation list {@code certificate_expired}, and any other refusal {@code bad_certificate}. The decision
 * itself is the JDK's, unchanged; only the alert is chosen, and the original exception stays the
 * cause, so the refusal's detail still says why.
 */
final class OpenSslVerifyErrors extends ClientTrustDecorator {

  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
  private static final int DIGITAL_SIGNATURE = 0;

  OpenSslVerifyErrors(X509ExtendedTrustManager pkix) {
    super(pkix);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      super.checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw withErrorCode(chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      super.checkClientTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      throw withErrorCode(chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    try {
      super.checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw withErrorCode(chain, e);
    }
  }

  private static CertificateException withErrorCode(
      X509Certificate[] chain, CertificateException e) {
    if (hasCause(e, CertificateExpiredException.class)
        || hasCause(e, CertificateNotYetValidException.class)) {
      // Netty already maps these to certificate_expired.
      return e;
    }
    int code;
    if (e instanceof RevocationException revocation) {
      code = revocation.stale()
          ? CertificateVerifier.X509_V_ERR_CRL_HAS_EXPIRED
          : CertificateVerifier.X509_V_ERR_CERT_REVOKED;
    } else if (hasCause(e, CertPathBuilderException.class)) {
      code = CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    } else if (chain.length > 0 && !meantForClientAuthentication(chain[0])) {
      code = CertificateVerifier.X509_V_ERR_INVALID_PURPOSE;
    } else {
      code = CertificateVerifier.X509_V_ERR_CERT_REJECTED;
    }
    return new OpenSslCertificateException(e.getMessage(), e, code);
  }

  // The same test the JDK's end-entity check makes for a TLS client, used only to pick the alert
  // after the JDK has refused.
  private static boolean meantForClientAuthentication(X509Certificate leaf) {
    boolean[] keyUsage = leaf.getKeyUsage();
    if (keyUsage != null
        && (keyUsage.length <= DIGITAL_SIGNATURE || !keyUsage[DIGITAL_SIGNATURE])) {
      return false;
    }
    try {
      List<String> purposes = leaf.getExtendedKeyUsage();
      return purposes == null || purposes.contains(CLIENT_AUTH)
          || purposes.contains(ANY_EXTENDED_KEY_USAGE);
    } catch (CertificateParsingException unreadable) {
      return false;
    }
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
