package io.lb4j.tls;

/**
 * Which TLS implementation makes the engines of a {@link PemTlsContextFactory}.
 *
 * <pre>{@code
 * PemTlsContextFactory.builder()...engine(TlsEngine.JDK).build();
 * }</pre>
 */
public enum TlsEngine {
  /** {@link #OPENSSL} where BoringSSL (netty-tcnative) loads on this machine, else {@link #JDK}. */
  AUTO,
  /**
   * BoringSSL through netty-tcnative: the fastest, and the one Netty's {@code SslHandler} drives
   * without copying. Building a factory with it fails where the native library does not load.
   */
  OPENSSL,
  /** The JDK's own TLS (SunJSSE): always available, slower per handshake and per byte. */
  JDK
}
