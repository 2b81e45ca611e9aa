package io.lb4j.tls;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A fixed number of slots for values keyed by certificate bytes: a value goes in the slot its key
 * hashes to, replacing whatever was there, so memory is bounded by the slot count and needs no
 * lock. A slot may hold another key's value; callers keep the key in the value and compare it.
 * Thread-safe.
 *
 * @param <E> what a slot holds
 */
final class CertificateSlots<E> {

  // A certificate ends with its signature, which is as good as random: hashing its last bytes
  // spreads certificates evenly without reading all of them.
  private static final int HASHED_TAIL = 32;

  private final AtomicReferenceArray<E> slots;
  private final int mask;

  /**
   * Creates the slots, all empty.
   *
   * @param count the number of slots, a power of two
   * @throws IllegalArgumentException if {@code count} is not a positive power of two
   */
  CertificateSlots(int count) {
    if (count <= 0 || Integer.bitCount(count) != 1) {
      throw new IllegalArgumentException("slots must be a positive power of two but was " + count);
    }
    this.slots = new AtomicReferenceArray<>(count);
    this.mask = count - 1;
  }

  /** Returns the slot of a DER-encoded certificate. */
  int slotOf(byte[] der) {
    int hash = 1;
    for (int i = Math.max(0, der.length - HASHED_TAIL); i < der.length; i++) {
      hash = 31 * hash + der[i];
    }
    hash ^= hash >>> 16;
    return hash & mask;
  }

  /** Returns what the slot holds, or null. */
  E get(int slot) {
    return slots.get(slot);
  }

  /** Puts a value in the slot, replacing what it held. */
  void set(int slot, E value) {
    slots.set(slot, value);
  }
}
