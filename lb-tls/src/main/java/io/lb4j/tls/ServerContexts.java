package io.lb4j.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Builds the immutable server {@link SslContext} of one version of the material. */
final class ServerContexts {

  /** The type of the key store Netty keeps the key in: JKS where the runtime has it. */
  private static final String IN_MEMORY_KEY_STORE =
      Security.getAlgorithms("KeyStore").contains("JKS") ? "JKS" : KeyStore.getDefaultType();


  // Enough for the clients of a busy listener; each slot holds one chain (a few KiB).
  private static final int REMEMBERED_CHAINS = 1024;

  private ServerContexts() {}

  /**
   * Builds a context and checks, on a probe engine, that it enables exactly the policy's protocols
   * and suites (an engine that silently dropped or added one would otherwise go unnoticed).
   *
   * @param engine {@link TlsEngine#OPENSSL} or {@link TlsEngine#JDK}
   * @param clock the wall clock that remembered verifications are dated by
   * @return a context; with OpenSSL it is reference-counted and the caller releases it
   * @throws TlsConfigException if the engine refuses the material or the policy
   */
  static SslContext build(
      TlsMaterial material, TlsPolicy.Enabled enabled, TlsEngine engine, Clock clock) {
    // Verified chains are remembered per context: a reload of the CAs or the revocation lists
    // starts afresh. Revocation is checked after the memory, at every full handshake.
    X509ExtendedTrustManager pkix =
        new RememberedVerifications(
            pkixTrustManager(material.clientCas()), REMEMBERED_CHAINS, clock::millis);
    if (!material.revocations().isEmpty()) {
      pkix = new RevocationCheck(pkix, material.revocations(), clock::millis);
    }
    // The OpenSSL provider is reference-counted so a reload frees the old context's native memory
    // as soon as its last engine closes, instead of whenever a finalizer runs. Given the key and
    // chain directly, Netty precomputes the native key material once per context
    // (OpenSslX509KeyManagerFactory) instead of re-encoding it for every handshake.
    // Netty holds the key in a key store that never leaves memory, password-protected by the
    // store's type: PKCS#12, Java's default, derives that protection with 10,000 rounds of
    // PBKDF2 when the key goes in and again when it comes out, at every context built (a start,
    // each reload); that and compiling it were a tenth of the CPU before the server listened.
    // JKS protects it with a few hashes.
    SslContextBuilder builder =
        SslContextBuilder.forServer(material.key(), material.chain())
            .sslProvider(engine == TlsEngine.OPENSSL ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK)
            .protocols(enabled.protocols())
            .ciphers(enabled.cipherSuites(), IdentityCipherSuiteFilter.INSTANCE)
            .clientAuth(ClientAuth.REQUIRE)
            .sessionTimeout(TlsPolicy.SESSION_TIMEOUT.toSeconds())
            .sessionCacheSize(TlsPolicy.SESSION_CACHE_SIZE)
            .keyStoreType(IN_MEMORY_KEY_STORE)
            .trustManager(engine == TlsEngine.OPENSSL
                ? new OpenSslVerifyErrors(pkix) : new RenegotiationGuard(pkix));
    SslContext context;
    try {
      context = builder.build();
    } catch (SSLException | RuntimeException e) {
      throw TlsConfigException.of(
            "engine", engine + " refuses this key or certificate: " + rootMessage(e), e);
    }
    try {
      checkEnabled(context, enabled, engine);
      return context;
    } catch (RuntimeException e) {
      ReferenceCountUtil.release(context);
      throw e;
    }
  }

  private static void checkEnabled(
      SslContext context, TlsPolicy.Enabled enabled, TlsEngine engine) {
    SSLEngine probe;
    try {
      probe = context.newEngine(ByteBufAllocator.DEFAULT);
    } catch (RuntimeException e) {
      throw TlsConfigException.of(
            "cipherSuites", engine + " refuses the cipher suites: " + rootMessage(e), e);
    }
    try {
      Set<String> protocols = new TreeSet<>(Arrays.asList(probe.getEnabledProtocols()));
      // Netty lists the pseudo-protocol SSLv2Hello for OpenSSL engines; BoringSSL cannot speak it.
      protocols.remove("SSLv2Hello");
      Set<String> suites = new TreeSet<>(Arrays.asList(probe.getEnabledCipherSuites()));
      if (!protocols.equals(new TreeSet<>(enabled.protocols()))) {
        throw TlsConfigException.of(
            "protocols", engine + " enables " + protocols + " instead of "
                + enabled.protocols());
      }
      if (!suites.equals(new TreeSet<>(enabled.cipherSuites()))) {
        throw TlsConfigException.of(
            "cipherSuites", engine + " enables " + suites + " instead of "
                + enabled.cipherSuites());
      }
    } finally {
      ReferenceCountUtil.release(probe);
    }
  }

  private static X509ExtendedTrustManager pkixTrustManager(List<X509Certificate> cas) {
    try {
      KeyStore anchors = KeyStore.getInstance("PKCS12");
      anchors.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        anchors.setCertificateEntry("client-ca-" + i, cas.get(i));
      }
      // The JDK's PKIX trust manager, for both engines: chain and dates, and for a client
      // certificate the key usage (digitalSignature) and, when the certificate restricts its
      // extended key usage, the clientAuth purpose. Netty's OpenSSL engine calls it from
      // BoringSSL's verify callback, so both engines judge certificates identically.
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the PKIX trust manager factory made no X.509 manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the JDK cannot build a PKIX trust manager", e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message.replace('\n', ' ');
  }
}
