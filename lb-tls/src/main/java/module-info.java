/**
 * Mutual TLS for lb4j: {@code PemTlsContextFactory}, its policy and engine choice.
 *
 * <p>Exports {@code io.lb4j.tls} only. netty-tcnative's BoringSSL jar carries native code alone and
 * is found at run time; its classes come from {@code io.netty.tcnative.classes.openssl}. OCSP
 * checking asks responders with {@code java.net.http}, reads and verifies their answers with
 * BouncyCastle's {@code bcpkix} (no provider is registered) and caches them with Caffeine.
 */
module io.lb4j.tls {
  requires transitive io.lb4j.api;
  requires java.net.http;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.tcnative.classes.openssl;
  requires com.github.benmanes.caffeine;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;
  requires org.slf4j;

  exports io.lb4j.tls;
}
