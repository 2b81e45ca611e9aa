package io.lb4j.tls;

import io.lb4j.api.ClientIdentity;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Remembers the identities of recent client certificates, since the same clients reconnect with
 * the same certificate and reading one (a SHA-256, a distinguished-name parse, the alternative
 * names) costs more than comparing its bytes.
 *
 * <p>An identity is a pure function of the certificate's bytes and holds no trust decision (the
 * handshake verified the certificate before anyone asks), so entries may outlive a CA reload. Each
 * slot holds one certificate; a newcomer that hashes to a taken slot replaces it, so the cache is
 * bounded by its slot count and needs no lock: a lookup is a volatile read and a byte comparison.
 * Thread-safe.
 */
final class IdentityCache {

  private static final int HASHED_TAIL = 32;

  private final AtomicReferenceArray<Entry> slots;
  private final int mask;

  /**
   * Creates a cache.
   *
   * @param slots the number of certificates remembered at most, a power of two
   */
  IdentityCache(int slots) {
    if (slots <= 0 || Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots must be a positive power of two but was " + slots);
    }
    this.slots = new AtomicReferenceArray<>(slots);
    this.mask = slots - 1;
  }

  /**
   * Returns the identity of a certificate, read once and remembered.
   *
   * @throws IllegalArgumentException if the certificate cannot be encoded or its names parsed
   */
  ClientIdentity identify(X509Certificate certificate) {
    byte[] der;
    try {
      der = certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
    }
    int slot = slotOf(der);
    Entry entry = slots.get(slot);
    if (entry != null && Arrays.equals(entry.der, der)) {
      return entry.identity;
    }
    ClientIdentity identity = ClientIdentity.fromCertificate(certificate);
    slots.set(slot, new Entry(der, identity));
    return identity;
  }

  // A certificate ends with its signature, which is as good as random: hashing its last bytes
  // spreads certificates evenly without reading all of them.
  private int slotOf(byte[] der) {
    int hash = 1;
    for (int i = Math.max(0, der.length - HASHED_TAIL); i < der.length; i++) {
      hash = 31 * hash + der[i];
    }
    hash ^= hash >>> 16;
    return hash & mask;
  }

  private static final class Entry {
    final byte[] der;
    final ClientIdentity identity;

    Entry(byte[] der, ClientIdentity identity) {
      this.der = der;
      this.identity = identity;
    }
  }
}
