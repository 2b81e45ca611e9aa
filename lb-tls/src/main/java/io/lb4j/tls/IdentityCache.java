package io.lb4j.tls;

import io.lb4j.api.ClientIdentity;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;

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

  private final CertificateSlots<Entry> slots;

  /**
   * Creates a cache.
   *
   * @param slots the number of certificates remembered at most, a power of two
   */
  IdentityCache(int slots) {
    this.slots = new CertificateSlots<>(slots);
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
    int slot = slots.slotOf(der);
    Entry entry = slots.get(slot);
    if (entry != null && Arrays.equals(entry.der, der)) {
      return entry.identity;
    }
    ClientIdentity identity = ClientIdentity.fromCertificate(certificate);
    slots.set(slot, new Entry(der, identity));
    return identity;
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
