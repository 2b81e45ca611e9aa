package io.lb4j.impl;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a client's close_notify end only the client-to-host direction on Netty's OpenSSL engine, as
 * it does on the JDK's engine with TLS 1.3: the client still receives the host's whole reply.
 *
 * <p>Netty's {@link ReferenceCountedOpenSslEngine} answers a received close_notify by closing its
 * outbound side too (a private {@code closeAll()}, guarded by a private flag
 * {@code receivedShutdown}), after which every write fails with "SSLEngine closed already".
 * BoringSSL itself has no such rule: a received close_notify sets only its read-shutdown state,
 * and {@code SSL_write} goes on working until {@code SSL_shutdown} is called. So lb4j sets that
 * flag on each new engine before its handshake, which makes the engine skip {@code closeAll()},
 * and learns of the client's close_notify from BoringSSL ({@code SSL_get_shutdown}) after each
 * read instead. The engine is not wrapped, so {@code SslHandler} keeps its fast path for it.
 *
 * <p>What else the flag changes in the engine, read in Netty 4.2.18's source: {@code closeInbound}
 * no longer reports a close without close_notify as possible truncation (lb4j tells the two apart
 * itself, through {@link #closeNotifyReceived}), and data after a close_notify is discarded
 * rather than failing the read, as RFC 8446 section 6.1 asks. The change that would make this
 * unnecessary upstream, an engine option to close only the inbound side on close_notify, is
 * written up in {@code docs/architecture.md}.
 *
 * <p>If a Netty version no longer has the flag, the engine keeps Netty's behaviour (a half-closing
 * client may lose the end of its reply), and one warning says so. Used on event-loop threads only.
 */
final class TlsHalfClose {

  private static final Logger log = LoggerFactory.getLogger(TlsHalfClose.class);

  private static final VarHandle RECEIVED_SHUTDOWN = findFlag();

  private TlsHalfClose() {}

  private static VarHandle findFlag() {
    try {
      return MethodHandles.privateLookupIn(
              ReferenceCountedOpenSslEngine.class, MethodHandles.lookup())
          .findVarHandle(ReferenceCountedOpenSslEngine.class, "receivedShutdown", boolean.class);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      log.warn(
          "cannot keep the OpenSSL engine's output open after a client's close_notify ({}); a"
              + " client that half-closes may lose the end of its reply with BoringSSL",
          e.toString());
      return null;
    }
  }

  /**
   * Prepares a new server engine, before its handshake, so that a client's close_notify leaves its
   * output open.
   *
   * @param engine the engine, as the context made it
   * @return whether the caller must ask {@link #closeNotifyReceived} after reads to learn of the
   *     client's close_notify ({@code false}: the engine reports it itself)
   */
  static boolean keepOutputOpen(SSLEngine engine) {
    if (RECEIVED_SHUTDOWN == null || !(engine instanceof ReferenceCountedOpenSslEngine openSsl)) {
      return false;
    }
    RECEIVED_SHUTDOWN.set(openSsl, true);
    return true;
  }

  /**
   * Tells whether the peer's close_notify has arrived, for an engine prepared by
   * {@link #keepOutputOpen} that returned {@code true}.
   *
   * @param engine the prepared engine
   * @return {@code true} once the close_notify was read; {@code false} before, or once the engine
   *     is freed
   */
  static boolean closeNotifyReceived(SSLEngine engine) {
    ReferenceCountedOpenSslEngine openSsl = (ReferenceCountedOpenSslEngine) engine;
    // The engine's own lock keeps it from being freed between reading the pointer and using it.
    synchronized (openSsl) {
      long ssl = openSsl.sslPointer();
      return ssl != 0 && (SSL.getShutdown(ssl) & SSL.SSL_RECEIVED_SHUTDOWN) != 0;
    }
  }
}
