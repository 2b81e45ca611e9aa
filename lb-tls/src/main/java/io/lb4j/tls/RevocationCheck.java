package io.lb4j.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The revocation step of the client-certificate check: once the chain is verified (or found
 * remembered as verified), refuses it if the {@link RevocationLists} revoke a certificate in it
 * or cover one with a stale list. It sits in front of {@link RememberedVerifications}, so a
 * remembered chain is still checked at every handshake against the lists and the clock; the lists
 * are fixed for the context's life, and a context is rebuilt (forgetting what was remembered) when
 * they change. Thread-safe.
 */
final class RevocationCheck extends ClientTrustDecorator {

  private final RevocationLists lists;
  private final LongSupplier epochMillis;

  RevocationCheck(X509ExtendedTrustManager next, RevocationLists lists, LongSupplier epochMillis) {
    super(next);
    this.lists = Objects.requireNonNull(lists, "lists");
    this.epochMillis = Objects.requireNonNull(epochMillis, "epochMillis");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    next.checkClientTrusted(chain, authType, engine);
    lists.check(chain, epochMillis.getAsLong());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    next.checkClientTrusted(chain, authType, socket);
    lists.check(chain, epochMillis.getAsLong());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    next.checkClientTrusted(chain, authType);
    lists.check(chain, epochMillis.getAsLong());
  }
}
