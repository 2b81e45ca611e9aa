package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.transport.Failures;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether one client connection may go on to a host: its identity, its route to an upstream, the
 * {@link Authorizer}'s and the {@link RateLimiter}'s decisions, and the limiter slot it then holds
 * until {@link #end}.
 *
 * <pre>{@code
 * Admission admission = new Admission(core, route, connection);
 * admission.afterHandshake(session);   // or admitWithoutTls(); answers through the connection
 * ...
 * admission.end();                     // once, when the connection ends, however it ends
 * }</pre>
 *
 * <p>The TLS factory's identity check and the limiter answer asynchronously; each answer is
 * applied on the connection's event loop. An identity that comes after the connection ended is
 * dropped. When the connection ended first, or the loop stopped before the limiter's answer came,
 * a granted slot is given back at once instead, so every admission is released exactly once.
 *
 * <p>Not thread-safe: every method, and every call back into the {@link Connection}, runs on the
 * connection's event loop; only the identity check's and the limiter's completions arrive elsewhere
 * and hop onto it.
 */
final class Admission {

  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  /** Where admission finds the current policy; the answers may change between connections. */
  interface Policy {
    /** Returns the TLS factory, or null when clients connect in the clear. */
    TlsContextFactory tls();

    Authorizer authorizer();

    RateLimiter rateLimiter();

    /** Returns the pool of the named upstream, or null when there is none. */
    HostPool pool(String upstream);
  }

  /** What admission needs of its connection; every method runs on the connection's loop. */
  interface Connection {
    /** Returns the connection as known so far, for logs. */
    ConnectionInfo info();

    /** Whether the calling thread is the connection's event loop. */
    boolean inLoop();

    /**
     * Runs {@code task} on the connection's event loop.
     *
     * @throws RejectedExecutionException when the loop has stopped
     */
    void onLoop(Runnable task);

    /** The client's identity and upstream ({@code ""} when none) are known. */
    void identified(ClientIdentity identity, String upstream);

    /** Authorizer and limiter admitted the connection to {@code pool}'s upstream. */
    void admitted(HostPool pool);

    /** The connection is refused; {@code cause} may be null. */
    void refused(Refuse refusal, Throwable cause);
  }

  private final Policy policy;
  private final Route route;
  private final Connection connection;

  private ClientIdentity identity = ClientIdentity.ANONYMOUS;
  private String upstream = "";
  /** The connection ended: a late grant goes straight back. */
  private boolean ended;
  /** The limiter that admitted this connection, to release at the end; null until admitted. */
  private RateLimiter admittedBy;

  Admission(Policy policy, Route route, Connection connection) {
    this.policy = policy;
    this.route = route;
    this.connection = connection;
  }

  /** Admits a client that connected in the clear: anonymous, on the listener's upstream. */
  void admitWithoutTls() {
    decide(ClientIdentity.ANONYMOUS, route.upstreamFor(null));
  }

  /**
   * Admits a client whose TLS handshake succeeded: the identity comes from its verified
   * certificate (the factory may check it further, answering later), the upstream from the server
   * name it asked for (or the listener's).
   */
  void afterHandshake(SSLSession session) {
    CompletionStage<ClientIdentity> identified;
    try {
      identified = policy.tls().identifyAsync(session);
    } catch (RuntimeException e) {
      onIdentified(session, null, e);
      return;
    }
    identified.whenComplete(
        (id, error) -> {
          // Already complete (no check to wait for): this is the loop, at once, no hop.
          if (connection.inLoop()) {
            onIdentified(session, id, error);
            return;
          }
          try {
            connection.onLoop(() -> onIdentified(session, id, error));
          } catch (RejectedExecutionException stopped) {
            // The loop stopped while the check was under way: the connection ended there, and
            // nothing was granted yet that would need giving back.
          }
        });
  }

  private void onIdentified(SSLSession session, ClientIdentity id, Throwable error) {
    if (ended) {
      return;
    }
    if (error != null || id == null) {
      connection.refused(
          new Refuse(RefusalReason.TLS_FAILED,
              "no verified client certificate: " + Failures.describe(error), Duration.ZERO,
              RefusalCauses.of(error)),
          error);
      return;
    }
    String serverName = serverName(session);
    String name = route.upstreamFor(serverName);
    if (name == null) {
      identity = id;
      connection.identified(id, "");
      connection.refused(
          Decision.refuse(RefusalReason.NO_ROUTE, "no upstream for server name '" + serverName + "'"),
          null);
      return;
    }
    decide(id, name);
  }

  /**
   * Decides for {@code identity} on {@code upstreamName}: a known upstream, then the authorizer,
   * then the limiter. The answer comes through the {@link Connection}, at once or later.
   */
  void decide(ClientIdentity identity, String upstreamName) {
    this.identity = identity;
    this.upstream = upstreamName == null ? "" : upstreamName;
    connection.identified(identity, upstream);
    HostPool pool = upstreamName == null ? null : policy.pool(upstreamName);
    if (pool == null) {
      connection.refused(
          Decision.refuse(RefusalReason.NO_ROUTE, "no upstream named '" + upstreamName + "'"), null);
      return;
    }
    Decision authz;
    try {
      authz = policy.authorizer().authorize(identity, upstreamName);
    } catch (RuntimeException e) {
      log.error("authorizer threw for {}; refusing the connection", connection.info(), e);
      authz =
          Decision.refuse(RefusalReason.UNAUTHORIZED, "authorizer failed: " + Failures.describe(e));
    }
    if (authz instanceof Refuse refusal) {
      connection.refused(refusal, null);
      return;
    }
    // The limiter may be replaced while running; this connection answers to the one it asked.
    RateLimiter limiter = policy.rateLimiter();
    CompletionStage<Decision> limited;
    try {
      limited = limiter.acquire(identity, upstreamName);
    } catch (RuntimeException e) {
      log.error("rate limiter threw for {}; refusing the connection", connection.info(), e);
      connection.refused(
          Decision.rateLimited("rate limiter failed: " + Failures.describe(e), Duration.ZERO),
          null);
      return;
    }
    limited.whenComplete(
        (decision, error) -> {
          if (connection.inLoop()) {
            onRateLimit(limiter, pool, decision, error);
            return;
          }
          try {
            connection.onLoop(() -> onRateLimit(limiter, pool, decision, error));
          } catch (RejectedExecutionException stopped) {
            // A late answer (a slow shared store during shutdown) after the event loop stopped.
            // The loop ran every task it took before stopping, so this connection ended there
            // without this admission; only the slot is left to give back, here, once.
            if (isAdmission(decision, error)) {
              giveBack(limiter);
            }
          }
        });
  }

  private void onRateLimit(RateLimiter limiter, HostPool pool, Decision decision, Throwable error) {
    boolean admitted = isAdmission(decision, error);
    if (ended) {
      // Ended while the limiter was deciding: give back what it granted.
      if (admitted) {
        giveBack(limiter);
      }
      return;
    }
    if (!admitted) {
      connection.refused(
          decision instanceof Refuse refusal
              ? refusal
              : Decision.rateLimited(
                  "rate limiter failed: " + Failures.describe(error), Duration.ZERO),
          null);
      return;
    }
    admittedBy = limiter;
    connection.admitted(pool);
  }

  /**
   * The connection ended, on its loop: gives the limiter slot back if one was granted, and makes a
   * decision still to come give its slot back on arrival. Later calls do nothing.
   */
  void end() {
    if (ended) {
      return;
    }
    ended = true;
    if (admittedBy != null) {
      RateLimiter limiter = admittedBy;
      admittedBy = null;
      giveBack(limiter);
    }
  }

  private static boolean isAdmission(Decision decision, Throwable error) {
    return error == null && decision != null && decision.admitted();
  }

  private void giveBack(RateLimiter limiter) {
    try {
      limiter.release(identity, upstream);
    } catch (RuntimeException e) {
      log.error("rate limiter release threw for {}", connection.info(), e);
    }
  }

  static String serverName(SSLSession session) {
    if (session instanceof ExtendedSSLSession extended) {
      try {
        List<SNIServerName> names = extended.getRequestedServerNames();
        for (SNIServerName name : names) {
          if (name instanceof SNIHostName host) {
            return host.getAsciiName();
          }
        }
      } catch (UnsupportedOperationException e) {
        return null;
      }
    }
    return null;
  }
}
