package io.lb4j.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The client-certificate check of the JDK engine: the JDK's PKIX trust manager (chain to a
 * configured CA, validity dates, key usage and the clientAuth extended key usage), refusing any
 * certificate that arrives in a renegotiation.
 *
 * <p>SunJSSE accepts a client's TLS 1.2 renegotiation unless the JVM-wide system property
 * {@code jdk.tls.rejectClientInitiatedRenegotiation} was set before its first handshake; there is no
 * per-engine switch. Every full handshake on a listener that requires client certificates comes
 * through here, with the engine, and a renegotiating engine already has an established TLS 1.2
 * session (the initial handshake's session is the JDK's null session, protocol {@code NONE}, until
 * it finishes; TLS 1.3 cannot renegotiate at all). So refusing here fails every full
 * renegotiation, per engine. BoringSSL never renegotiates as a server and needs no guard.
 */
final class RenegotiationGuard extends ClientTrustDecorator {

  RenegotiationGuard(X509ExtendedTrustManager pkix) {
    super(pkix);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    if (engine != null && isEstablished(engine.getSession())) {
      throw new CertificateException("renegotiation is not allowed");
    }
    super.checkClientTrusted(chain, authType, engine);
  }

  private static boolean isEstablished(SSLSession current) {
    return current != null && TlsPolicy.TLS_1_2.equals(current.getProtocol());
  }
}
