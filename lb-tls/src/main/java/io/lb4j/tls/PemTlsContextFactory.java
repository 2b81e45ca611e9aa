package io.lb4j.tls;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Defaults;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.TlsContextFactory;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TlsContextFactory} whose server certificate, private key and client CA bundle are PEM
 * files, under lb4j's mTLS policy ({@link TlsPolicy}): TLS 1.3 and 1.2 only, the allowed cipher
 * suites, a client certificate required and verified against the CA bundle, no renegotiation.
 *
 * <pre>{@code
 * PemTlsContextFactory tls = PemTlsContextFactory.builder()
 *     .certificateChain(Path.of("/etc/lb4j/server.crt"))   // leaf first, then its issuers
 *     .privateKey(Path.of("/etc/lb4j/server.key"))         // PKCS#8, or traditional EC / RSA
 *     .clientCa(Path.of("/etc/lb4j/clients-ca.crt"))
 *     .watch(Duration.ofSeconds(10))                       // optional: reload on change
 *     .build();
 * SSLEngine engine = tls.newEngine();                      // one per accepted connection
 * ...
 * tls.close();                                             // stops watching, frees the context
 * }</pre>
 *
 * <h2>Engines</h2>
 * {@link TlsEngine#AUTO} (the default) uses BoringSSL through netty-tcnative where it loads, and the
 * JDK's TLS otherwise; the choice is logged once at INFO when the factory is built and is
 * {@link #engine()}. Engines are returned exactly as Netty's {@link SslContext} made them, never
 * wrapped, so Netty's {@code SslHandler} keeps its fast path for OpenSSL engines. An OpenSSL engine
 * holds native memory: release it ({@code SslHandler} does when its channel closes).
 *
 * <h2>Revocation</h2>
 * With {@link Builder#crls(List)}, a client whose certificate, or a CA certificate above it, is
 * revoked by a configured list is refused in the handshake, and a resumed session whose chain has
 * been revoked since is refused by {@link #identify}. A certificate covered by a list past its next
 * update is refused too unless {@link Builder#acceptStaleCrls(boolean)}. The lists are part of the
 * material: they load, reload and are watched with the certificates.
 *
 * <h2>OCSP</h2>
 * With {@link Builder#ocspMode(OcspMode)} {@code SOFT} or {@code HARD}, the client certificate of
 * every connection, full handshake or resumed, is checked with its CA's OCSP responder (the URL in
 * the certificate, or {@link Builder#ocspResponderOverride(URI)}) by {@link #identifyAsync}, after
 * the handshake and before the client is admitted: a certificate answered {@code revoked} is
 * refused; one with no valid answer within {@link Builder#ocspTimeout(Duration)} is refused in
 * {@code HARD} mode and admitted in {@code SOFT} mode. Verified answers are cached until their next
 * update (a minute when they name none), at most {@link Builder#ocspCacheMax(int)} of them;
 * {@link #ocspLookups()} counts the lookups by outcome. The check needs no thread of the caller's:
 * the request is asynchronous, and a cached answer is judged at once.
 *
 * <h2>Reload</h2>
 * {@link #reload()} re-reads the files (certificates, key, CAs and revocation lists); with {@link Builder#watch(Duration)} a background
 * thread does so on its own when their contents change. New material is a whole new immutable
 * context swapped in behind a volatile reference: new handshakes use it, connections already open
 * keep the material they began with. Files that do not load leave the current material in use.
 *
 * <h2>Threading</h2>
 * {@link #newEngine()}, {@link #identify} and {@link #identifyAsync} are thread-safe, lock-free
 * and do not block; they are meant for event-loop threads. {@link #reload()} and {@link #close()} may be called from any thread;
 * they read files and so may block.
 */
public final class PemTlsContextFactory implements TlsContextFactory, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PemTlsContextFactory.class);

  // Enough for the clients of a busy listener; each slot holds about one certificate (1-2 KiB).
  private static final int IDENTITY_CACHE_SLOTS = 1024;

  private final MaterialFiles files;
  private final TlsPolicy.Enabled enabled;
  private final TlsEngine engine;
  private final Clock clock;
  private final boolean acceptStaleCrls;
  private final Duration crlExpiryWarning;
  private final IdentityCache identities = new IdentityCache(IDENTITY_CACHE_SLOTS);
  private final ScheduledExecutorService watcher;

  // Serialises reloads, the watcher's polls and close.
  private final Object lock = new Object();
  private volatile Active active;
  // The digest the watcher saw on its previous poll, and the last digest it failed to load;
  // guarded by lock.
  private byte[] lastSeen;
  private byte[] lastFailed;
  private volatile String watchFailure;
  // The revocation lists already warned about, each with the warning given (soon or stale), so a
  // poll does not repeat it; guarded by lock.
  private final Set<String> crlWarnings = new HashSet<>();
  // Told when reloaded revocation lists are in use (onTrustChange).
  private final List<Runnable> trustListeners = new CopyOnWriteArrayList<>();
  // The session-ticket key file, or null for random keys per context; the keys in use, guarded by
  // lock.
  private final Path ticketKeyFile;
  private TicketKeys ticketKeys;
  // The OCSP check of client certificates, or null when it is off.
  private final OcspCheck ocsp;

  private record Active(SslContext context, TlsMaterial material) {}

  private PemTlsContextFactory(
      MaterialFiles files, TlsPolicy.Enabled enabled, TlsEngine engine, Duration watchInterval,
      Clock clock, boolean acceptStaleCrls, Duration crlExpiryWarning, Path ticketKeyFile,
      OcspCheck ocsp) {
    this.files = files;
    this.enabled = enabled;
    this.engine = engine;
    this.clock = clock;
    this.acceptStaleCrls = acceptStaleCrls;
    this.crlExpiryWarning = crlExpiryWarning;
    this.ticketKeyFile = ticketKeyFile;
    this.ocsp = ocsp;
    MaterialFiles.Snapshot snapshot = files.read();
    TlsMaterial material = TlsMaterial.parse(files, snapshot, acceptStaleCrls);
    TicketKeys keys = readTicketKeys();
    this.active = new Active(buildContext(material, snapshot, keys), material);
    this.ticketKeys = keys;
    logLoaded("loaded", material);
    logTicketKeys("loaded", keys);
    synchronized (lock) {
      warnOfCrlUpdates(material);
    }
    if (watchInterval == null) {
      this.watcher = null;
    } else {
      this.watcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "lb4j-tls-watch");
        thread.setDaemon(true);
        return thread;
      });
      long nanos = watchInterval.toNanos();
      watcher.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a new server-mode engine, client authentication required, from the current material.
   * An OpenSSL engine must be released when done with ({@code SslHandler} does it).
   *
   * @return a fresh engine, as Netty made it
   * @throws IllegalStateException if the factory is closed
   */
  @Override
  public SSLEngine newEngine() {
    for (;;) {
      Active current = active;
      if (current == null) {
        throw new IllegalStateException("the TLS context factory is closed");
      }
      SslContext context = current.context;
      if (!(context instanceof ReferenceCounted counted)) {
        return context.newEngine(ByteBufAllocator.DEFAULT);
      }
      // A reload may release this context between the read above and the engine's creation;
      // holding a reference meanwhile keeps its native memory alive. If it is already released,
      // a newer context (or null, once closed) has replaced it: read again.
      try {
        counted.retain();
      } catch (IllegalReferenceCountException released) {
        continue;
      }
      try {
        return context.newEngine(ByteBufAllocator.DEFAULT);
      } finally {
        counted.release();
      }
    }
  }

  /**
   * Reads the client's identity from the verified leaf certificate of a completed handshake. The
   * identities of recently seen certificates are remembered (an identity is a function of the
   * certificate's bytes alone), so a reconnecting client costs a byte comparison.
   *
   * <p>With revocation lists, the session's chain is checked against the lists in use now, since a
   * resumed session skips certificate verification: a session made before its certificate was
   * revoked is refused here.
   *
   * @throws SSLPeerUnverifiedException if the client presented no verified certificate, or its
   *     chain is revoked (or covered by a stale list) by the lists now in use; the message says which
   *     certificate and why
   * @throws IllegalArgumentException if the certificate's names cannot be parsed
   */
  @Override
  public ClientIdentity identify(SSLSession session) throws SSLPeerUnverifiedException {
    return identify(session.getPeerCertificates());
  }

  private ClientIdentity identify(Certificate[] chain) throws SSLPeerUnverifiedException {
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      throw new SSLPeerUnverifiedException("client presented no X.509 certificate");
    }
    Active current = active;
    if (current != null && !current.material.revocations().isEmpty()) {
      checkNotRevoked(current.material.revocations(), chain);
    }
    return identities.identify(leaf);
  }

  /**
   * Reads the client's identity as {@link #identify} does and, with OCSP checking on, checks the
   * client's certificate with its OCSP responder: at once when a verified answer is cached,
   * otherwise when the responder answers, within {@link Builder#ocspTimeout(Duration)}. Called
   * after every handshake, resumed ones too, so a session made before its certificate was revoked
   * does not outlive the revocation longer than the cached answer does.
   *
   * @return the identity; or a failure, with an {@link SSLPeerUnverifiedException} whose message
   *     names the certificate (serial and issuer) and why: revoked (by a list or by OCSP), or, in
   *     {@code HARD} mode, no valid OCSP answer
   */
  @Override
  public CompletionStage<ClientIdentity> identifyAsync(SSLSession session) {
    ClientIdentity identity;
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
      identity = identify(chain);
    } catch (SSLPeerUnverifiedException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (ocsp == null) {
      return CompletableFuture.completedFuture(identity);
    }
    Active current = active;
    if (current == null) {
      return CompletableFuture.failedFuture(
          new SSLPeerUnverifiedException("the TLS context factory is closed"));
    }
    CompletableFuture<Void> checked =
        ocsp.check((X509Certificate) chain[0], chain, current.material.clientCas());
    return checked == OcspCheck.PASSED
        ? CompletableFuture.completedFuture(identity)
        : checked.thenApply(ignored -> identity);
  }

  private void checkNotRevoked(RevocationLists lists, Certificate[] chain)
      throws SSLPeerUnverifiedException {
    X509Certificate[] x509 = new X509Certificate[chain.length];
    for (int i = 0; i < chain.length; i++) {
      if (!(chain[i] instanceof X509Certificate certificate)) {
        throw new SSLPeerUnverifiedException("client presented a certificate that is not X.509");
      }
      x509[i] = certificate;
    }
    try {
      lists.check(x509, clock.millis());
    } catch (RevocationException e) {
      // The message alone: a refusal's detail is its root cause's message.
      SSLPeerUnverifiedException refused = new SSLPeerUnverifiedException(e.getMessage());
      // The cause carries the PKIX reason (revoked, or status unknown) that refusal metrics read.
      refused.initCause(e);
      throw refused;
    }
  }

  /**
   * Tells whether {@code chain} is revoked by the revocation lists in use now: the check a resumed
   * session gets in {@link #identify}, without the staleness rule, since a list that merely went
   * stale revokes nothing. Thread-safe, lock-free; meant for event-loop threads.
   *
   * @return the refusal text ({@code certificate revoked: serial ... issuer ...}), or empty when
   *     the chain is not revoked, no lists are configured, or the factory is closed
   */
  @Override
  public Optional<String> revocationOf(List<X509Certificate> chain) {
    Active current = active;
    if (current == null || current.material.revocations().isEmpty()) {
      return Optional.empty();
    }
    try {
      // At the earliest possible time no list is past its next update, so only revocations throw.
      current.material.revocations().check(chain.toArray(X509Certificate[]::new), Long.MIN_VALUE);
      return Optional.empty();
    } catch (RevocationException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Registers {@code onChange} to be run after each reload that brings new revocation lists into
   * use, on the reloading thread (the watcher's, or the caller of {@link #reload()}) while it holds
   * the reload lock: it must be quick and must not block. Rotated session-ticket keys alone do not
   * run it.
   */
  @Override
  public Subscription onTrustChange(Runnable onChange) {
    Objects.requireNonNull(onChange, "onChange");
    trustListeners.add(onChange);
    return () -> trustListeners.remove(onChange);
  }

  // Called with lock held, once new material with revocation lists is in use.
  private void trustChanged() {
    for (Runnable listener : trustListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("a TLS trust-change callback failed", e);
      }
    }
  }

  /** Returns the engine in use: {@link TlsEngine#OPENSSL} or {@link TlsEngine#JDK}, never AUTO. */
  public TlsEngine engine() {
    return engine;
  }

  /**
   * Returns the server certificate new handshakes present.
   *
   * @throws IllegalStateException if the factory is closed
   */
  public X509Certificate certificate() {
    Active current = active;
    if (current == null) {
      throw new IllegalStateException("the TLS context factory is closed");
    }
    return current.material.leaf();
  }

  /**
   * Returns the revocation lists in use, in the order of their files (a file may hold several),
   * for gauges and health checks. Empty when none are configured.
   *
   * @return an immutable list
   * @throws IllegalStateException if the factory is closed
   */
  public List<CrlStatus> crls() {
    return requireOpen().material.revocations().statuses();
  }

  /**
   * Returns how many OCSP lookups of client certificates ended in each way since the factory was
   * built, for metrics: every outcome is present, at zero when OCSP checking is off.
   *
   * @return an immutable map, a new snapshot each call
   */
  public Map<OcspOutcome, Long> ocspLookups() {
    if (ocsp == null) {
      Map<OcspOutcome, Long> none = new EnumMap<>(OcspOutcome.class);
      for (OcspOutcome outcome : OcspOutcome.values()) {
        none.put(outcome, 0L);
      }
      return Collections.unmodifiableMap(none);
    }
    return ocsp.outcomes();
  }

  /**
   * Returns why the watcher could not load the files as they now are, or empty when it loaded
   * them, has seen no change, or is not watching. The message is the one-line
   * {@link TlsConfigException} message. Meant for health checks: while this is present, the files on
   * disk are not what is being served.
   */
  public Optional<String> watchFailure() {
    return Optional.ofNullable(watchFailure);
  }

  /**
   * Re-reads the certificate chain, private key, CA and revocation list files now, and the
   * session-ticket key file when one is set. If their contents changed and load, new handshakes use
   * them from now on; connections already open are not touched, though a resumed session whose
   * certificate is now revoked is refused. New ticket keys alone are swapped into the current
   * context; nothing is applied unless every file loads.
   *
   * <p>Unlike the watcher, which logs a file that does not load at WARN and keeps polling, this
   * method throws, so the caller (an admin command, a signal handler) can report why; the
   * material in use stays in use either way.
   *
   * @return true if new material is now in use, false if the files are unchanged
   * @throws TlsConfigException if the files cannot be read, parsed, or do not belong together;
   *     the current material stays in use
   * @throws IllegalStateException if the factory is closed
   */
  public boolean reload() {
    synchronized (lock) {
      Active current = requireOpen();
      MaterialFiles.Snapshot snapshot = files.read();
      TicketKeys keys = readTicketKeys();
      boolean changed = install(current, snapshot, keys);
      if (!changed) {
        warnOfCrlUpdates(current.material);
      }
      return changed;
    }
  }

  /**
   * Stops the watcher and releases the current context. Engines already handed out keep working
   * until released. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      Active current = active;
      if (current == null) {
        return;
      }
      if (watcher != null) {
        watcher.shutdownNow();
      }
      if (ocsp != null) {
        ocsp.close();
      }
      active = null;
      ReferenceCountUtil.release(current.context);
    }
  }

  private Active requireOpen() {
    Active current = active;
    if (current == null) {
      throw new IllegalStateException("the TLS context factory is closed");
    }
    return current;
  }

  // Called with lock held. Returns false when nothing changed.
  private boolean install(Active current, MaterialFiles.Snapshot snapshot, TicketKeys keys) {
    boolean newKeys = keys != null && !keys.sameAs(ticketKeys);
    if (Arrays.equals(snapshot.digest(), current.material.digest())) {
      if (!newKeys) {
        return false;
      }
      // The certificate and CAs are unchanged: rotate the keys of the context in use, so open
      // sessions and the context's precomputed key material stay.
      keys.applyTo(current.context, MaterialFiles.digest(snapshot.ca()));
      ticketKeys = keys;
      watchFailure = null;
      logTicketKeys("reloaded", keys);
      return true;
    }
    TlsMaterial material = TlsMaterial.parse(files, snapshot, acceptStaleCrls);
    SslContext context = buildContext(material, snapshot, keys);
    Active previous = active;
    active = new Active(context, material);
    // Engines made from the previous context hold their own references to it.
    ReferenceCountUtil.release(previous.context);
    ticketKeys = keys;
    watchFailure = null;
    logLoaded("reloaded", material);
    warnOfCrlUpdates(material);
    if (!material.revocations().isEmpty()) {
      trustChanged();
    }
    if (newKeys) {
      logTicketKeys("reloaded", keys);
    }
    return true;
  }

  private SslContext buildContext(
      TlsMaterial material, MaterialFiles.Snapshot snapshot, TicketKeys keys) {
    SslContext context = ServerContexts.build(material, enabled, engine, clock);
    if (keys != null) {
      try {
        keys.applyTo(context, MaterialFiles.digest(snapshot.ca()));
      } catch (RuntimeException e) {
        ReferenceCountUtil.release(context);
        throw e;
      }
    }
    return context;
  }

  private TicketKeys readTicketKeys() {
    return ticketKeyFile == null ? null : TicketKeys.read(ticketKeyFile);
  }

  // What the watcher compares: the PEM files' digest, and the ticket key file's when one is set.
  private byte[] watchedDigest(byte[] materialDigest, TicketKeys keys) {
    return keys == null ? materialDigest : MaterialFiles.digest(materialDigest, keys.digest());
  }

  private static void logTicketKeys(String verb, TicketKeys keys) {
    if (keys != null) {
      LOG.info("TLS session-ticket keys {}: {} key(s), the first encrypts new tickets, from {}",
          verb, keys.count(), keys.file());
    }
  }

  /**
   * One watcher tick. New contents are loaded only once two consecutive polls read the same bytes,
   * so a file caught half-written is not loaded (nor warned about) but waited for; contents that
   * fail are warned about once, not at every poll.
   */
  private void poll() {
    try {
      synchronized (lock) {
        Active current = active;
        if (current == null) {
          return;
        }
        warnOfCrlUpdates(current.material);
        MaterialFiles.Snapshot snapshot = null;
        TicketKeys keys = null;
        TlsConfigException unreadable = null;
        byte[] seen;
        try {
          snapshot = files.read();
          keys = readTicketKeys();
          seen = watchedDigest(snapshot.digest(), keys);
        } catch (TlsConfigException e) {
          snapshot = null;
          unreadable = e;
          seen = MaterialFiles.digest(e.getMessage().getBytes(StandardCharsets.UTF_8));
        }
        if (snapshot != null
            && Arrays.equals(seen, watchedDigest(current.material.digest(), ticketKeys))) {
          lastSeen = seen;
          lastFailed = null;
          watchFailure = null;
          return;
        }
        boolean settled = Arrays.equals(seen, lastSeen);
        lastSeen = seen;
        if (!settled || Arrays.equals(seen, lastFailed)) {
          return;
        }
        try {
          if (unreadable != null) {
            throw unreadable;
          }
          install(current, snapshot, keys);
          lastFailed = null;
        } catch (TlsConfigException e) {
          lastFailed = seen;
          watchFailure = e.getMessage();
          LOG.warn("TLS material not reloaded, the current material stays in use: {}",
              e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      // An exception escaping a scheduled task would cancel all later polls.
      LOG.warn("TLS material watcher failed, the current material stays in use", e);
    }
  }

  private void logLoaded(String verb, TlsMaterial material) {
    X509Certificate leaf = material.leaf();
    LOG.info("TLS material {}: certificate {} valid until {}, {} client CA certificate(s), from {}",
        verb, leaf.getSubjectX500Principal().getName(), leaf.getNotAfter().toInstant(),
        material.clientCas().size(), files.certificateChain());
    if (!files.crls().isEmpty()) {
      List<CrlStatus> crls = material.revocations().statuses();
      LOG.info("TLS revocation lists {}: {} list(s) revoking {} certificate(s), stale lists {}, "
              + "from {}", verb, crls.size(),
          crls.stream().mapToLong(CrlStatus::revokedEntries).sum(),
          acceptStaleCrls ? "accepted" : "refused", files.crls());
    }
    if (leaf.getNotAfter().toInstant().isBefore(clock.instant())) {
      LOG.warn("the server certificate {} in {} expired at {}; clients will refuse it",
          leaf.getSubjectX500Principal().getName(), files.certificateChain(),
          leaf.getNotAfter().toInstant());
    }
  }

  /**
   * Warns once per list (and once more when it goes stale) when a revocation list's next update is
   * within {@code crlExpiryWarning} or past: a CA that stops publishing would otherwise show only
   * when clients are refused. Called with lock held.
   */
  private void warnOfCrlUpdates(TlsMaterial material) {
    Instant now = clock.instant();
    for (CrlStatus crl : material.revocations().statuses()) {
      if (crl.nextUpdate().isEmpty()) {
        continue;
      }
      Instant next = crl.nextUpdate().get();
      if (next.isAfter(now.plus(crlExpiryWarning))) {
        continue;
      }
      boolean stale = !next.isAfter(now);
      String key = crl.file() + "|" + crl.issuer() + "|" + crl.thisUpdate() + "|" + stale;
      if (!crlWarnings.add(key)) {
        continue;
      }
      if (stale) {
        LOG.warn("the revocation list of {} in {} is stale: its next update was due at {}; {}",
            crl.issuer(), crl.file(), next, acceptStaleCrls
                ? "its certificates are still accepted (acceptStaleCrls)"
                : "certificates it covers are refused until a newer list is loaded");
      } else {
        LOG.warn("the revocation list of {} in {} goes stale at {}; load a newer one before then",
            crl.issuer(), crl.file(), next);
      }
    }
  }

  /**
   * Builds a {@link PemTlsContextFactory}. Each setter checks its value at once and throws a
   * {@link TlsConfigException} (or a {@link NullPointerException} for a null) naming the setting;
   * {@link #build()} reads the files. Not thread-safe.
   */
  public static final class Builder {
    private Path certificateChain;
    private Path privateKey;
    private Path clientCa;
    private List<String> protocols = TlsPolicy.PROTOCOLS;
    private List<String> cipherSuites = TlsPolicy.CIPHER_SUITES;
    private TlsEngine engine = TlsEngine.AUTO;
    private Duration watch;
    private Clock clock = Clock.systemUTC();
    // Revocation lists (crls, acceptStaleCrls, crlExpiryWarning).
    private List<Path> crls = List.of();
    private boolean acceptStaleCrls;
    private Duration crlExpiryWarning = Defaults.CRL_EXPIRY_WARNING;
    private Path sessionTicketKeys;
    // OCSP (ocspMode, ocspResponderOverride, ocspTimeout, ocspCacheMax).
    private OcspMode ocspMode = OcspMode.OFF;
    private URI ocspResponderOverride;
    private Duration ocspTimeout = Defaults.OCSP_TIMEOUT;
    private int ocspCacheMax = Defaults.OCSP_CACHE_MAX;

    private Builder() {}

    /**
     * Sets the PEM file of the server's certificate chain: the server certificate first, then
     * each issuer up to (optionally) the root. Required.
     */
    public Builder certificateChain(Path file) {
      this.certificateChain = Objects.requireNonNull(file, "certificateChain");
      return this;
    }

    /**
     * Sets the PEM file of the server's private key: unencrypted PKCS#8 ({@code BEGIN PRIVATE
     * KEY}) or traditional ({@code BEGIN EC PRIVATE KEY}, {@code BEGIN RSA PRIVATE KEY}). Required.
     */
    public Builder privateKey(Path file) {
      this.privateKey = Objects.requireNonNull(file, "privateKey");
      return this;
    }

    /**
     * Sets the PEM file of the CA certificates that client certificates must chain to. Every
     * certificate in it is a trust anchor. Required.
     */
    public Builder clientCa(Path file) {
      this.clientCa = Objects.requireNonNull(file, "clientCa");
      return this;
    }

    /**
     * Narrows the protocols to some of {@link TlsPolicy#PROTOCOLS}. Default: all of them.
     *
     * @throws TlsConfigException if a protocol is not in the policy or the list is empty
     */
    public Builder protocols(List<String> protocols) {
      Objects.requireNonNull(protocols, "protocols");
      this.protocols = TlsPolicy.narrowProtocols(protocols);
      return this;
    }

    /**
     * Narrows the cipher suites to some of {@link TlsPolicy#CIPHER_SUITES}, written as IANA names
     * ({@code TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}) or OpenSSL names
     * ({@code ECDHE-ECDSA-AES128-GCM-SHA256}). Default: all of them. Each enabled protocol must keep
     * at least one suite; BoringSSL cannot narrow the TLS 1.3 suites, so with the OpenSSL engine a
     * list that keeps TLS 1.3 must keep all three of its suites.
     *
     * @throws TlsConfigException if a suite is not in the policy or the list is empty
     */
    public Builder cipherSuites(List<String> cipherSuites) {
      Objects.requireNonNull(cipherSuites, "cipherSuites");
      this.cipherSuites = TlsPolicy.narrowCipherSuites(cipherSuites);
      return this;
    }

    /** Chooses the TLS implementation. Default: {@link TlsEngine#AUTO}. */
    public Builder engine(TlsEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /**
     * Polls the files (certificates, key, CAs, revocation lists) at this interval and reloads them when their contents change and stay
     * unchanged for one more interval (so a file caught mid-write is waited for). A change that
     * does not load is logged once at WARN and the current material stays in use. Default: no
     * polling; {@link PemTlsContextFactory#reload()} still works. The reference server polls every
     * {@link io.lb4j.api.Defaults#RELOAD_INTERVAL}.
     *
     * @throws TlsConfigException if the interval is not positive
     */
    public Builder watch(Duration interval) {
      this.watch = requirePositive(interval, "watch");
      return this;
    }

    /**
     * Sets the wall clock that lb4j's own certificate-date decisions read: when a remembered
     * client-chain verification is forgotten (at the chain's earliest not-after) and whether the
     * server certificate has expired (warned about at each load). Meant for tests, which move it
     * instead of waiting. The handshake's own chain and date verification is the JDK's and always
     * reads the system time. Default: {@link Clock#systemUTC()}.
     *
     * @param clock the clock; its {@link Clock#millis()} may be read on every full handshake, from
     *     event-loop threads, so it must be thread-safe and must not block
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    // ---- revocation lists

    /**
     * Sets the certificate revocation lists of client certificates: files in PEM
     * ({@code BEGIN X509 CRL}) or DER, each holding one or more lists. Each list must be signed by
     * a certificate in {@link #clientCa(Path)} (so a list of an intermediate CA needs that
     * intermediate there). A client certificate, or a CA certificate above it, revoked by a list
     * of its issuer is refused; certificates of issuers without a list are not checked. The files
     * reload and are watched with the others. Default: none, no revocation checking.
     *
     * @param files the files, in the order {@link PemTlsContextFactory#crls()} reports them
     * @throws NullPointerException if the list or a file is null
     */
    public Builder crls(List<Path> files) {
      Objects.requireNonNull(files, "crls");
      for (Path file : files) {
        Objects.requireNonNull(file, "crls");
      }
      this.crls = List.copyOf(files);
      return this;
    }

    /**
     * Whether a revocation list past its next update still lets the certificates it covers
     * through. Default {@code false}: they are refused, as OpenSSL and Envoy do, since a stale
     * list may miss recent revocations. Either way a stale list is warned about.
     */
    public Builder acceptStaleCrls(boolean accept) {
      this.acceptStaleCrls = accept;
      return this;
    }

    /**
     * How long before a revocation list's next update to warn (once per list, at WARN) that it
     * needs replacing; a list already past it is warned about once more. Checked at load, reload
     * and each watcher poll. Default: {@link Defaults#CRL_EXPIRY_WARNING}.
     *
     * @throws TlsConfigException if the duration is negative
     * @throws NullPointerException if it is null
     */
    public Builder crlExpiryWarning(Duration warning) {
      Objects.requireNonNull(warning, "crlExpiryWarning");
      try {
        this.crlExpiryWarning =
            InvalidSettingException.requireNotNegative(warning, "crlExpiryWarning");
      } catch (InvalidSettingException e) {
        throw new TlsConfigException("crlExpiryWarning", e.getMessage(), e);
      }
      return this;
    }

    // ---- end of revocation lists

    /**
     * Sets the file of the keys that seal and open TLS session tickets, so that every instance
     * reading the same file resumes the sessions of the others. One key a line, base64, 48 bytes
     * each (16 of name, 16 of HMAC key, 16 of AES key, as {@code openssl rand -base64 48} makes);
     * blank lines and lines starting with {@code #} are ignored. The first key seals new tickets,
     * every key opens them: to rotate, add a new key as the first line, and drop the old one once
     * no ticket sealed with it should resume. The file is re-read by
     * {@link PemTlsContextFactory#reload()} and by the watcher like the PEM files; a file that does
     * not load leaves the keys in use. Default: none, each context draws random keys, so a ticket
     * resumes only on the process (and the material) that issued it.
     *
     * <p>Only the OpenSSL engine takes ticket keys: {@link #build()} fails when the engine in use
     * is the JDK's.
     *
     * @throws NullPointerException if {@code file} is null
     */
    public Builder sessionTicketKeys(Path file) {
      this.sessionTicketKeys = Objects.requireNonNull(file, "sessionTicketKeys");
      return this;
    }

    // ---- OCSP

    /**
     * Whether client certificates are checked with their CA's OCSP responder, and what happens
     * when no valid answer can be had: {@link OcspMode#HARD} refuses the client, {@link
     * OcspMode#SOFT} admits it (and counts and logs it). A certificate answered {@code revoked} is
     * refused in both. The responder is the one the certificate names in its authority
     * information access, or {@link #ocspResponderOverride(URI)}. Only the client's own
     * certificate is checked, not the CAs above it (a revocation list covers those). Default:
     * {@link OcspMode#OFF}.
     *
     * @throws NullPointerException if {@code mode} is null
     */
    public Builder ocspMode(OcspMode mode) {
      this.ocspMode = Objects.requireNonNull(mode, "ocspMode");
      return this;
    }

    /**
     * Asks this responder about every client certificate, whatever responder the certificate
     * names; needed for certificates that name none. Default: none, each certificate's own.
     *
     * @param responder an absolute {@code http://} or {@code https://} URL
     * @throws TlsConfigException if it is not one
     * @throws NullPointerException if it is null
     */
    public Builder ocspResponderOverride(URI responder) {
      Objects.requireNonNull(responder, "ocspResponderOverride");
      if (!OcspCheck.isHttpUrl(responder)) {
        throw TlsConfigException.of("ocspResponderOverride",
            "must be an http:// or https:// URL but was '" + responder + "'");
      }
      this.ocspResponderOverride = responder;
      return this;
    }

    /**
     * How long a client's admission waits for the responder's answer (connect, request and
     * response together). Past it, there is no valid answer: {@code HARD} refuses, {@code SOFT}
     * admits. Default: {@link Defaults#OCSP_TIMEOUT}.
     *
     * @throws TlsConfigException if the duration is not positive
     * @throws NullPointerException if it is null
     */
    public Builder ocspTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "ocspTimeout");
      this.ocspTimeout = requirePositive(timeout, "ocspTimeout");
      return this;
    }

    /**
     * How many verified OCSP answers are cached, one per client certificate; the least recently
     * used goes first. Default: {@link Defaults#OCSP_CACHE_MAX}.
     *
     * @throws TlsConfigException if it is less than 1
     */
    public Builder ocspCacheMax(int answers) {
      if (answers < 1) {
        throw TlsConfigException.of("ocspCacheMax", "must be at least 1 but was " + answers);
      }
      this.ocspCacheMax = answers;
      return this;
    }

    // ---- end of OCSP

    /**
     * Reads the files and builds the factory.
     *
     * @throws TlsConfigException naming the setting (and file) that cannot be used
     */
    public PemTlsContextFactory build() {
      MaterialFiles files = new MaterialFiles(
          required(certificateChain, "certificateChain"),
          required(privateKey, "privateKey"),
          required(clientCa, "clientCa"),
          crls);
      TlsPolicy.Enabled enabled = TlsPolicy.enabled(protocols, cipherSuites);
      TlsEngine chosen = resolve(engine);
      if (chosen == TlsEngine.OPENSSL) {
        checkOpenSslCanHonour(enabled);
      } else if (sessionTicketKeys != null) {
        throw TlsConfigException.of(TicketKeys.SETTING, sessionTicketKeys
            + ": session-ticket keys need the OPENSSL engine, and the engine is JDK"
            + (engine == TlsEngine.AUTO ? " (chosen by AUTO: OpenSSL is not available: "
                + unavailability() + ")" : "")
            + "; the JDK's TLS cannot take ticket keys");
      }
      logChoice(engine, chosen);
      OcspCheck ocsp = null;
      if (ocspMode != OcspMode.OFF) {
        ocsp = new OcspCheck(ocspMode, ocspResponderOverride, ocspTimeout, ocspCacheMax, clock);
        LOG.info("OCSP checking of client certificates: mode {}, responder {}, timeout {} ms, "
                + "up to {} cached answers", ocspMode, ocspResponderOverride == null
                ? "named by each certificate" : ocspResponderOverride + " (override)",
            ocspTimeout.toMillis(), ocspCacheMax);
      }
      try {
        return new PemTlsContextFactory(files, enabled, chosen, watch, clock, acceptStaleCrls,
            crlExpiryWarning, sessionTicketKeys, ocsp);
      } catch (RuntimeException e) {
        if (ocsp != null) {
          ocsp.close();
        }
        throw e;
      }
    }

    // The shared check and its wording, thrown the way every TLS setting's error is thrown.
    private static Duration requirePositive(Duration value, String setting) {
      try {
        return InvalidSettingException.requirePositive(value, setting);
      } catch (InvalidSettingException e) {
        throw new TlsConfigException(setting, e.getMessage(), e);
      }
    }

    private static Path required(Path path, String setting) {
      if (path == null) {
        throw new TlsConfigException(setting, setting + " must be set");
      }
      return path;
    }

    private static TlsEngine resolve(TlsEngine requested) {
      switch (requested) {
        case JDK:
          return TlsEngine.JDK;
        case OPENSSL:
          if (!OpenSsl.isAvailable()) {
            throw TlsConfigException.of("engine", "OPENSSL is not available here: " + unavailability());
          }
          return TlsEngine.OPENSSL;
        default:
          return OpenSsl.isAvailable() ? TlsEngine.OPENSSL : TlsEngine.JDK;
      }
    }

    private static void checkOpenSslCanHonour(TlsPolicy.Enabled enabled) {
      if (!enabled.protocols().contains(TlsPolicy.TLS_1_3)) {
        return;
      }
      if (!SslProvider.isTlsv13Supported(SslProvider.OPENSSL_REFCNT)) {
        throw TlsConfigException.of("protocols", "OPENSSL does not support TLSv1.3 here; remove it or use engine JDK");
      }
      if (enabled.suitesOf(TlsPolicy.TLS_1_3).size() != TlsPolicy.TLS_1_3_CIPHER_SUITES.size()) {
        throw TlsConfigException.of("cipherSuites", "the OPENSSL engine cannot narrow the TLSv1.3 suites (BoringSSL always "
                + "enables " + String.join(", ", TlsPolicy.TLS_1_3_CIPHER_SUITES)
                + "); keep all three, remove TLSv1.3 from protocols, or use engine JDK");
      }
    }

    private static void logChoice(TlsEngine requested, TlsEngine chosen) {
      String how = requested == TlsEngine.AUTO ? "chosen by AUTO" : "configured";
      if (chosen == TlsEngine.OPENSSL) {
        LOG.info("TLS engine OPENSSL ({} through netty-tcnative {}, Netty {}), {}",
            OpenSsl.versionString(), tcnativeVersion(), nettyVersion(), how);
      } else if (requested == TlsEngine.AUTO) {
        LOG.info("TLS engine JDK (Java {}), chosen by AUTO: OpenSSL is not available: {}",
            Runtime.version(), unavailability());
      } else {
        LOG.info("TLS engine JDK (Java {}), {}", Runtime.version(), how);
      }
    }

    /**
     * The netty-tcnative version as its Maven metadata records it: a shaded jar keeps each
     * artifact's {@code pom.properties} but not its manifest, so the package version alone reads
     * null there. The native jar that loaded is named first; the classes jar is the fallback.
     */
    static String tcnativeVersion() {
      for (String artifact : List.of("netty-tcnative-boringssl-static", "netty-tcnative-classes")) {
        String version = mavenVersion("io.netty", artifact);
        if (version != null) {
          return version;
        }
      }
      String version = SSL.class.getPackage().getImplementationVersion();
      return version == null ? "(version unknown)" : version;
    }

    private static String nettyVersion() {
      io.netty.util.Version handler = io.netty.util.Version.identify().get("netty-handler");
      return handler == null ? "(version unknown)" : handler.artifactVersion();
    }

    private static String mavenVersion(String group, String artifact) {
      String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
      try (InputStream in = SSL.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          return null;
        }
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version");
      } catch (IOException e) {
        return null;
      }
    }

    private static String unavailability() {
      Throwable cause = OpenSsl.unavailabilityCause();
      return cause == null ? "unknown reason" : String.valueOf(cause.getMessage());
    }
  }
}
