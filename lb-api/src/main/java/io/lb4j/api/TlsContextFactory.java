package io.lb4j.api;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Produces the server-side TLS engines of lb4j's listeners, under the mTLS policy: TLS 1.3 and 1.2
 * only, the allowed cipher suites, a client certificate required and verified, no renegotiation.
 *
 * <pre>{@code
 * SSLEngine engine = factory.newEngine();      // one per accepted connection
 * // ... after the handshake:
 * ClientIdentity who = factory.identify(engine.getSession());
 * }</pre>
 *
 * <h2>Threading</h2>
 * {@link #newEngine()}, {@link #identify} and {@link #identifyAsync} are called on event-loop
 * threads, concurrently: they must be thread-safe and must not block. A check that needs the
 * network (an OCSP responder) belongs in {@link #identifyAsync}, which answers later. A factory that reloads certificates swaps an immutable
 * context behind a volatile reference; engines already handed out keep the material they began
 * with.
 *
 * <h2>Trust taken back</h2>
 * A factory whose trust can shrink while connections are open (reloaded revocation lists) tells
 * lb4j through {@link #onTrustChange}, and answers {@link #revocationOf} for the chain of each open
 * connection; lb4j closes those revoked when it is set to ({@code onRevoke} {@code close}). The
 * defaults describe a factory whose trust never shrinks: nothing is ever revoked.
 *
 * <h2>Implementing</h2>
 * Return engines exactly as the underlying TLS context made them. Do not wrap them in a delegating
 * {@code SSLEngine}: Netty recognises its own OpenSSL engines and takes a much faster path for them,
 * which a wrapper silently loses. An engine that holds native memory is released by lb4j when the
 * connection closes.
 */
public interface TlsContextFactory {

  /**
   * Returns a new server-mode engine with client authentication required.
   *
   * @return a fresh engine, never shared
   * @throws IllegalStateException if no TLS material is loaded
   */
  SSLEngine newEngine();

  /**
   * Reads the identity of the client out of a completed handshake's session. The default reads
   * the verified leaf certificate with {@link ClientIdentity#fromCertificate}; a factory may
   * override it to remember identities of repeating certificates.
   *
   * @param session the session of a completed handshake
   * @return the client's identity
   * @throws SSLPeerUnverifiedException if the client presented no verified certificate
   */
  default ClientIdentity identify(SSLSession session) throws SSLPeerUnverifiedException {
    Certificate[] chain = session.getPeerCertificates();
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      throw new SSLPeerUnverifiedException("client presented no X.509 certificate");
    }
    return ClientIdentity.fromCertificate(leaf);
  }

  /**
   * Reads the identity of the client as {@link #identify} does, and finishes any check of its
   * certificate that cannot be made without waiting, such as asking an OCSP responder. lb4j calls
   * this, not {@link #identify}, once per completed handshake, full or resumed, and holds the
   * connection (its early bytes buffered, bounded) until the stage completes.
   *
   * <p>The stage completes with the identity to admit the client, or exceptionally to refuse it
   * with reason {@code TLS_FAILED}; the refusal's detail is {@code no verified client
   * certificate: } and the root cause's message, so the exception should say what was refused and
   * why. It may complete on any thread; the
   * implementation must bound how long it takes. Returning an already completed stage costs no
   * thread hop. The default completes at once with {@link #identify}'s answer or failure.
   *
   * @param session the session of a completed handshake; read it before returning, not later
   * @return the identity, or a failure that refuses the client; never null
   */
  default CompletionStage<ClientIdentity> identifyAsync(SSLSession session) {
    try {
      return CompletableFuture.completedFuture(identify(session));
    } catch (SSLPeerUnverifiedException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Tells whether a client chain that was trusted when its connection began is revoked by what
   * this factory knows now. lb4j asks it for each open connection after {@link #onTrustChange}
   * callbacks. Only revocation counts: a chain whose revocation status became unknown (a stale
   * list) is not reported, since open connections are not ended for a missing update.
   *
   * <p>Called on event-loop threads, concurrently: thread-safe, and must not block (no network,
   * no file). The default returns empty.
   *
   * @param chain the client's chain as its session holds it, leaf first; not empty
   * @return a one-line reason naming the revoked certificate (as a handshake refusal would), or
   *     empty if the chain is not revoked
   */
  default Optional<String> revocationOf(List<X509Certificate> chain) {
    return Optional.empty();
  }

  /**
   * Registers {@code onChange} to be run each time this factory's trust may have shrunk, once the
   * new trust is in use (so {@link #revocationOf} answers by it): new revocation lists, for
   * instance. It is not run for changes that only add trust or that cannot affect clients.
   *
   * <p>The callback runs on the thread that applied the change (a reload or a file watcher), which
   * may hold the factory's reload lock: it must be quick and must not block; lb4j's own callback
   * only hands work to the event loops. An exception it throws is logged by the factory and does
   * not stop other callbacks. The default never calls it and returns a handle that does nothing.
   *
   * @param onChange the callback
   * @return a handle whose {@link Subscription#close()} stops the callbacks; idempotent
   * @throws NullPointerException if {@code onChange} is null
   */
  default Subscription onTrustChange(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    return () -> {};
  }

  /** A registration made with {@link #onTrustChange}; closing it ends the callbacks. */
  interface Subscription extends AutoCloseable {
    /** Stops the callbacks; idempotent, and throws nothing. */
    @Override
    void close();
  }
}
