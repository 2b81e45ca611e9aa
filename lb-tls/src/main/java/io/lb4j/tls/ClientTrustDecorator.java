package io.lb4j.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A step of the client-certificate check of a server context: passes every client check to the
 * next trust manager and refuses to check servers. The steps ({@link RememberedVerifications},
 * {@link OpenSslVerifyErrors}, {@link RenegotiationGuard}) override only the checks they change.
 */
abstract class ClientTrustDecorator extends X509ExtendedTrustManager {

  /** The trust manager this step passes checks to. */
  final X509ExtendedTrustManager next;

  ClientTrustDecorator(X509ExtendedTrustManager next) {
    this.next = Objects.requireNonNull(next, "next");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    next.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    next.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    next.checkClientTrusted(chain, authType);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a server-side context does not verify servers");
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a server-side context does not verify servers");
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a server-side context does not verify servers");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return next.getAcceptedIssuers();
  }
}
