package io.lb4j.tls;

import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Remembers the client certificate chains the PKIX trust manager accepted, so a client that comes
 * back with the same chain is not verified again: the JDK's chain verification (parsing every
 * certificate, a signature check per link in Java, the path checkers) costs more CPU than all of
 * BoringSSL's part of a full handshake.
 *
 * <p>A chain is remembered by its exact bytes, with the handshake's protocol and key-exchange type
 * (the JDK's algorithm constraints may depend on them), until the earliest not-after date in it:
 * the same bytes give the same verdict until then, since the verdict depends only on them, the
 * trusted CAs and the time. Refusals are never remembered. An instance belongs to one context
 * version, so a reload of the CA bundle starts with nothing remembered.
 *
 * <p>Each slot holds one chain; a newcomer that hashes to a taken slot replaces it, so memory is
 * bounded by the slot count and a lookup is a volatile read and a byte comparison. Thread-safe.
 */
final class RememberedVerifications extends ClientTrustDecorator {

  private final CertificateSlots<Entry> slots;
  private final LongSupplier epochMillis;

  /**
   * Creates a memory in front of {@code pkix}.
   *
   * @param slots the number of chains remembered at most, a power of two
   * @param epochMillis the wall clock that dates are compared with
   */
  RememberedVerifications(X509ExtendedTrustManager pkix, int slots, LongSupplier epochMillis) {
    super(pkix);
    this.slots = new CertificateSlots<>(slots);
    this.epochMillis = Objects.requireNonNull(epochMillis, "epochMillis");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    byte[][] encoded = encoded(chain);
    if (encoded == null) {
      next.checkClientTrusted(chain, authType, engine);
      return;
    }
    String protocol = engine == null ? null : protocolOf(engine.getHandshakeSession());
    int slot = slots.slotOf(encoded[0]);
    if (isRemembered(slots.get(slot), encoded, authType, protocol)) {
      return;
    }
    next.checkClientTrusted(chain, authType, engine);
    slots.set(slot, new Entry(encoded, authType, protocol, earliestNotAfter(chain)));
  }

  private boolean isRemembered(Entry entry, byte[][] chain, String authType, String protocol) {
    return entry != null
        && epochMillis.getAsLong() < entry.notAfterMillis
        && Objects.equals(entry.authType, authType)
        && Objects.equals(entry.protocol, protocol)
        && Arrays.deepEquals(entry.chain, chain);
  }

  /** The chain's bytes, or null when a certificate cannot be encoded (then nothing is remembered). */
  private static byte[][] encoded(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return null;
    }
    byte[][] encoded = new byte[chain.length][];
    try {
      for (int i = 0; i < chain.length; i++) {
        encoded[i] = chain[i].getEncoded();
      }
    } catch (CertificateEncodingException | RuntimeException e) {
      return null;
    }
    return encoded;
  }

  private static String protocolOf(SSLSession session) {
    return session == null ? null : session.getProtocol();
  }

  private static long earliestNotAfter(X509Certificate[] chain) {
    long earliest = Long.MAX_VALUE;
    for (X509Certificate certificate : chain) {
      earliest = Math.min(earliest, certificate.getNotAfter().getTime());
    }
    return earliest;
  }

  private static final class Entry {
    final byte[][] chain;
    final String authType;
    final String protocol;
    final long notAfterMillis;

    Entry(byte[][] chain, String authType, String protocol, long notAfterMillis) {
      this.chain = chain;
      this.authType = authType;
      this.protocol = protocol;
      this.notAfterMillis = notAfterMillis;
    }
  }
}
