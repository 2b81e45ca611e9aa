package io.lb4j.tls;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.lb4j.tls.OcspResponses.Answer;
import io.lb4j.tls.OcspResponses.OcspException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCSP check of client certificates: asks the certificate's responder (its authority
 * information access URL, or the configured override) whether the certificate is revoked, with
 * the JDK's asynchronous HTTP client, verifies the answer ({@link OcspResponses}) and caches it
 * until its next update, so that the certificate's next connections are judged without asking.
 *
 * <pre>{@code
 * CompletableFuture<Void> checked = ocsp.check(leaf, chain, clientCas);
 * // completes normally to admit, or with an SSLPeerUnverifiedException that says why not
 * }</pre>
 *
 * <p>{@link #check} runs on event loops and never blocks: a cached answer is judged at once (an
 * already completed future, no allocation when it admits); otherwise the work (finding the
 * issuer, hashing, the request, the signature check) runs on a small pool of this check's own and
 * the HTTP exchange on the client's selector thread. One lookup per certificate is in flight at a
 * time: connections of the same certificate wait for the same answer. A lookup that fails or
 * times out is not cached, so the next connection asks again.
 *
 * <p>Thread-safe.
 */
final class OcspCheck implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OcspCheck.class);

  /** How long an answer without a next update is cached: a responder that promises nothing. */
  static final Duration CACHE_WITHOUT_NEXT_UPDATE = Duration.ofMinutes(1);

  /** Answers are a few KiB at most; anything larger is not an answer to keep. */
  private static final int MAX_RESPONSE_BYTES = 64 * 1024;

  /** Soft mode's warnings about certificates without a valid answer: one a minute at most. */
  private static final long WARNING_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** The outcome of a check that admits. */
  static final CompletableFuture<Void> PASSED = CompletableFuture.completedFuture(null);

  private final OcspMode mode;
  private final URI responderOverride;
  private final Duration timeout;
  private final Clock clock;
  private final ForkJoinPool pool;
  private final HttpClient http;
  private final AsyncCache<X509Certificate, Cached> cache;
  private final LongAdder[] outcomes = new LongAdder[OcspOutcome.values().length];
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());

  /** A verified answer and when the cache drops it (by the factory's clock). */
  private record Cached(Answer answer, Instant until) {}

  /** Why a lookup gave no answer; its message is the refusal's reason. */
  private static final class LookupFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final OcspOutcome outcome;

    LookupFailure(OcspOutcome outcome, String message) {
      super(message, null, false, false);
      this.outcome = outcome;
    }
  }

  /** What a lookup needs once the issuer and the responder are known. */
  private record Prepared(URI responder, X509Certificate issuer, OcspResponses.Request request) {}

  /**
   * @param responderOverride the responder to ask for every certificate, or null to ask the one
   *     each certificate names
   */
  OcspCheck(OcspMode mode, URI responderOverride, Duration timeout, int cacheMax, Clock clock) {
    if (mode == OcspMode.OFF) {
      throw new IllegalArgumentException("an OCSP check needs mode SOFT or HARD");
    }
    this.mode = mode;
    this.responderOverride = responderOverride;
    this.timeout = timeout;
    this.clock = clock;
    for (int i = 0; i < outcomes.length; i++) {
      outcomes[i] = new LongAdder();
    }
    // Submitting to a fork-join pool from an event loop takes no lock that could park the loop.
    this.pool = new ForkJoinPool(2, OcspCheck::worker, null, true);
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout)
        .executor(pool)
        .build();
    this.cache = Caffeine.newBuilder()
        .maximumSize(cacheMax)
        .executor(pool)
        .expireAfter(new UntilNextUpdate())
        .buildAsync();
  }

  private static ForkJoinWorkerThread worker(ForkJoinPool pool) {
    ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
    thread.setName("lb4j-ocsp-" + thread.getPoolIndex());
    thread.setDaemon(true);
    return thread;
  }

  /**
   * Checks a client certificate whose chain the handshake verified.
   *
   * @param leaf the client's certificate
   * @param chain the chain the client sent, leaf first: the issuer is looked for there
   * @param clientCas the trust anchors: and there
   * @return {@link #PASSED}, or a future that completes normally to admit the client or
   *     exceptionally, with an {@link SSLPeerUnverifiedException} whose message is the refusal's
   *     detail, to refuse it; within the timeout
   */
  CompletableFuture<Void> check(
      X509Certificate leaf, Certificate[] chain, List<X509Certificate> clientCas) {
    CompletableFuture<Cached> present = cache.getIfPresent(leaf);
    if (present != null && present.isDone() && !present.isCompletedExceptionally()) {
      Cached cached = present.join();
      if (clock.instant().isBefore(cached.until())) {
        outcomes[OcspOutcome.CACHED.ordinal()].increment();
        try {
          judge(leaf, cached, null);
          return PASSED;
        } catch (CompletionException refused) {
          return CompletableFuture.failedFuture(refused.getCause());
        }
      }
      // Past its time by the factory's clock (which the cache's own expiry may lag): ask again.
      cache.asMap().remove(leaf, present);
    }
    return cache.get(leaf, (certificate, executor) -> lookup(certificate, chain, clientCas))
        .handle((cached, error) -> {
          judge(leaf, cached, error);
          return null;
        });
  }

  /** Counts of lookups by outcome, since the check was made; a new map each call. */
  Map<OcspOutcome, Long> outcomes() {
    Map<OcspOutcome, Long> counts = new EnumMap<>(OcspOutcome.class);
    for (OcspOutcome outcome : OcspOutcome.values()) {
      counts.put(outcome, outcomes[outcome.ordinal()].sum());
    }
    return Collections.unmodifiableMap(counts);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  /**
   * Admits (returns), or refuses by throwing a {@link CompletionException} around the
   * {@link SSLPeerUnverifiedException} that says why.
   */
  private void judge(X509Certificate leaf, Cached cached, Throwable error) {
    if (cached != null) {
      switch (cached.answer().status()) {
        case GOOD:
          return;
        case REVOKED:
          throw refusal("certificate revoked (OCSP): " + named(leaf) + " at "
              + cached.answer().revokedAt());
        default:
          noValidAnswer(leaf, "the responder does not know the certificate (unknown)");
          return;
      }
    }
    Throwable cause = unwrap(error);
    noValidAnswer(leaf, cause instanceof LookupFailure failure
        ? failure.getMessage()
        : "the check failed: " + cause);
  }

  private void noValidAnswer(X509Certificate leaf, String why) {
    if (mode == OcspMode.HARD) {
      throw refusal("no valid OCSP answer: " + why + "; refusing " + named(leaf));
    }
    long now = System.nanoTime();
    long next = nextWarning.get();
    if (now - next >= 0 && nextWarning.compareAndSet(next, now + WARNING_INTERVAL_NANOS)) {
      LOG.warn("no valid OCSP answer for {}: {}; admitted, as the OCSP mode is SOFT (more in the "
          + "next minute are logged at DEBUG)", named(leaf), why);
    } else {
      LOG.debug("no valid OCSP answer for {}: {}; admitted (SOFT)", named(leaf), why);
    }
  }

  private static CompletionException refusal(String detail) {
    return new CompletionException(new SSLPeerUnverifiedException(detail));
  }

  private static String named(X509Certificate certificate) {
    return "serial " + certificate.getSerialNumber().toString(16) + " issuer "
        + certificate.getIssuerX500Principal().getName();
  }

  // ---- the lookup: prepared on the pool, exchanged by the HTTP client, verified on the pool

  private CompletableFuture<Cached> lookup(
      X509Certificate leaf, Certificate[] chain, List<X509Certificate> clientCas) {
    CompletableFuture<Cached> result = new CompletableFuture<>();
    // The one bound on the whole lookup, queueing included; the HTTP request has its own too.
    result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    String[] responder = {"the responder"};
    pool.execute(() -> {
      try {
        Prepared prepared = prepare(leaf, chain, clientCas);
        responder[0] = "the responder " + prepared.responder();
        http.sendAsync(httpRequest(prepared), bounded())
            .whenComplete((response, error) -> {
              if (error != null) {
                result.completeExceptionally(error);
                return;
              }
              try {
                result.complete(answer(prepared, response));
              } catch (LookupFailure | RuntimeException e) {
                result.completeExceptionally(e);
              }
            });
      } catch (LookupFailure | RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result.handle((cached, error) -> {
      if (error == null) {
        outcomes[outcomeOf(cached.answer()).ordinal()].increment();
        return cached;
      }
      LookupFailure failure = failure(unwrap(error), responder[0]);
      outcomes[failure.outcome.ordinal()].increment();
      throw new CompletionException(failure);
    });
  }

  private Prepared prepare(X509Certificate leaf, Certificate[] chain,
      List<X509Certificate> clientCas) throws LookupFailure {
    X509Certificate issuer = issuerOf(leaf, chain, clientCas);
    URI responder = responderOverride != null ? responderOverride : responderOf(leaf);
    try {
      return new Prepared(responder, issuer, OcspResponses.request(leaf, issuer, random));
    } catch (OcspException e) {
      throw new LookupFailure(OcspOutcome.ERROR, e.getMessage());
    }
  }

  /** The certificate among the sent chain and the trust anchors that signed {@code leaf}. */
  private static X509Certificate issuerOf(X509Certificate leaf, Certificate[] chain,
      List<X509Certificate> clientCas) throws LookupFailure {
    List<X509Certificate> candidates = new ArrayList<>(chain.length - 1 + clientCas.size());
    for (int i = 1; i < chain.length; i++) {
      if (chain[i] instanceof X509Certificate certificate) {
        candidates.add(certificate);
      }
    }
    candidates.addAll(clientCas);
    for (X509Certificate candidate : candidates) {
      if (!candidate.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
        continue;
      }
      try {
        leaf.verify(candidate.getPublicKey());
        return candidate;
      } catch (GeneralSecurityException wrongKey) {
        // Another CA of the same name: look on.
      }
    }
    throw new LookupFailure(OcspOutcome.ERROR, "the issuer of the certificate is not in its "
        + "chain nor in clientCa, so it cannot be named to a responder");
  }

  /** The OCSP responder the certificate names in its authority information access. */
  private static URI responderOf(X509Certificate leaf) throws LookupFailure {
    byte[] extension = leaf.getExtensionValue(Extension.authorityInfoAccess.getId());
    if (extension != null) {
      try {
        AuthorityInformationAccess access = AuthorityInformationAccess.getInstance(
            JcaX509ExtensionUtils.parseExtensionValue(extension));
        for (AccessDescription description : access.getAccessDescriptions()) {
          GeneralName location = description.getAccessLocation();
          if (description.getAccessMethod().equals(AccessDescription.id_ad_ocsp)
              && location.getTagNo() == GeneralName.uniformResourceIdentifier) {
            String url = ASN1IA5String.getInstance(location.getName()).getString();
            return httpUrl(url);
          }
        }
      } catch (IOException | IllegalArgumentException e) {
        throw new LookupFailure(OcspOutcome.ERROR,
            "the certificate's authority information access cannot be read: " + e.getMessage());
      }
    }
    throw new LookupFailure(OcspOutcome.ERROR,
        "the certificate names no OCSP responder and no responder override is set");
  }

  private static URI httpUrl(String url) throws LookupFailure {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new LookupFailure(OcspOutcome.ERROR, "the certificate's OCSP responder '" + url
          + "' is not a URL");
    }
    if (!isHttpUrl(uri)) {
      throw new LookupFailure(OcspOutcome.ERROR, "the certificate's OCSP responder '" + url
          + "' is not an http:// or https:// URL");
    }
    return uri;
  }

  /** Whether {@code uri} is an absolute http or https URL with a host. */
  static boolean isHttpUrl(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
  }

  private HttpRequest httpRequest(Prepared prepared) {
    return HttpRequest.newBuilder(prepared.responder())
        .timeout(timeout)
        .header("Content-Type", "application/ocsp-request")
        .header("Accept", "application/ocsp-response")
        .POST(HttpRequest.BodyPublishers.ofByteArray(prepared.request().encoded()))
        .build();
  }

  /** A body handler that keeps at most {@link #MAX_RESPONSE_BYTES}; null if there were more. */
  private static HttpResponse.BodyHandler<byte[]> bounded() {
    return info -> {
      BoundedBody body = new BoundedBody();
      return HttpResponse.BodySubscribers.mapping(
          HttpResponse.BodySubscribers.ofByteArrayConsumer(body), done -> body.bytes());
    };
  }

  /** The parts of one response body as they come, up to the limit. */
  private static final class BoundedBody implements Consumer<Optional<byte[]>> {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean tooLarge;

    @Override
    public void accept(Optional<byte[]> part) {
      if (part.isEmpty() || tooLarge) {
        return;
      }
      if (bytes.size() + part.get().length > MAX_RESPONSE_BYTES) {
        tooLarge = true;
      } else {
        bytes.writeBytes(part.get());
      }
    }

    byte[] bytes() {
      return tooLarge ? null : bytes.toByteArray();
    }
  }

  private Cached answer(Prepared prepared, HttpResponse<byte[]> response) throws LookupFailure {
    if (response.statusCode() != 200) {
      throw new LookupFailure(OcspOutcome.ERROR, "the responder " + prepared.responder()
          + " answered HTTP " + response.statusCode());
    }
    byte[] body = response.body();
    if (body == null) {
      throw new LookupFailure(OcspOutcome.ERROR, "the responder " + prepared.responder()
          + " sent more than " + MAX_RESPONSE_BYTES + " bytes");
    }
    Instant now = clock.instant();
    Answer answer;
    try {
      answer = OcspResponses.verify(body, prepared.request(), prepared.issuer(), now);
    } catch (OcspException e) {
      throw new LookupFailure(OcspOutcome.ERROR, e.getMessage() + " (from the responder "
          + prepared.responder() + ")");
    }
    Instant until = answer.nextUpdate() != null
        ? answer.nextUpdate()
        : now.plus(CACHE_WITHOUT_NEXT_UPDATE);
    return new Cached(answer, until);
  }

  private static OcspOutcome outcomeOf(Answer answer) {
    return switch (answer.status()) {
      case GOOD -> OcspOutcome.GOOD;
      case REVOKED -> OcspOutcome.REVOKED;
      case UNKNOWN -> OcspOutcome.UNKNOWN;
    };
  }

  private LookupFailure failure(Throwable cause, String responder) {
    if (cause instanceof LookupFailure failure) {
      return failure;
    }
    if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
      return new LookupFailure(OcspOutcome.TIMEOUT,
          responder + " did not answer within " + timeout.toMillis() + " ms");
    }
    if (cause instanceof ConnectException) {
      return new LookupFailure(OcspOutcome.ERROR, "cannot reach " + responder + ": "
          + (cause.getMessage() == null ? "connection refused" : cause.getMessage()));
    }
    String message = cause.getMessage() == null
        ? cause.getClass().getSimpleName() : cause.getMessage();
    return new LookupFailure(OcspOutcome.ERROR, "asking " + responder + " failed: " + message);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Keeps each answer until its time, by the factory's clock at the time it is stored. */
  private final class UntilNextUpdate implements Expiry<X509Certificate, Cached> {
    @Override
    public long expireAfterCreate(X509Certificate key, Cached value, long currentTime) {
      Duration left = Duration.between(clock.instant(), value.until());
      return left.isNegative() ? 0 : saturatedNanos(left);
    }

    @Override
    public long expireAfterUpdate(
        X509Certificate key, Cached value, long currentTime, long currentDuration) {
      return expireAfterCreate(key, value, currentTime);
    }

    @Override
    public long expireAfterRead(
        X509Certificate key, Cached value, long currentTime, long currentDuration) {
      return currentDuration;
    }

    private long saturatedNanos(Duration duration) {
      try {
        return duration.toNanos();
      } catch (ArithmeticException tooLong) {
        return Long.MAX_VALUE;
      }
    }
  }
}
