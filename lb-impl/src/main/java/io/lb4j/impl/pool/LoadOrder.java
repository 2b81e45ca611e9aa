package io.lb4j.impl.pool;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.Host;
import java.util.Arrays;
import java.util.Objects;

/**
 * The eligible hosts of a {@link HostPool} in two orders: configuration order, which is what a
 * {@link BalancingStrategy} sees as its candidates, and load, which answers "the least loaded" at
 * once.
 *
 * <p>A host's load is its connections per unit of weight once one more is counted,
 * {@code (count + 1) / effectiveWeight}; with equal weights that is plain least connections. The
 * load order is a binary min-heap of the hosts, each entry knowing its place in it: the least
 * loaded host is the root, and counting a lease, giving one back or changing a weight moves one
 * host up or down the heap in O(log n) swaps. (Equal weights would allow constant time, as counts
 * change by one; different weights make the steps different per host, hence the heap.) Loads are
 * compared by cross-multiplication in {@code long}, so the order is exact. {@link #rebuild} places
 * the eligible hosts from scratch in O(n), for the rare changes of health and configuration.
 * {@link #checkInvariants} states what must hold between the two orders, the counts and the
 * weights.
 *
 * <p>Not thread-safe: every method runs under the owning pool's lock, including the strategy's
 * calls through the {@link BalancingStrategy.Candidates} view this class is.
 */
final class LoadOrder implements BalancingStrategy.Candidates {

  /** The eligible hosts in configuration order, in {@code [0, size)}. */
  private HostEntry[] candidates = new HostEntry[0];

  /** The same hosts as a min-heap by load: {@code heap[0]} is the least loaded. */
  private HostEntry[] heap = new HostEntry[0];

  private int size;

  /**
   * Increments less decrements: the leases outstanding, placed hosts or not, for the pool's
   * invariant check. Kept here, in an object only the lock holder touches, rather than in the
   * pool, whose settings other threads read without the lock on every connection: a counter
   * written on every pick and release there would take that cache line from them.
   */
  private int leases;

  /**
   * Places the eligible ones of {@code configured}, in its order, and clears the place of the
   * others. Entries left out of {@code configured} must have been unplaced by the caller.
   */
  void rebuild(HostEntry[] configured) {
    if (candidates.length != configured.length) {
      candidates = new HostEntry[configured.length];
      heap = new HostEntry[configured.length];
    }
    int n = 0;
    for (HostEntry e : configured) {
      e.candidateIndex = -1;
      e.heapIndex = -1;
      if (e.eligible()) {
        candidates[n] = e;
        heap[n] = e;
        e.candidateIndex = n;
        e.heapIndex = n;
        n++;
      }
    }
    Arrays.fill(candidates, n, candidates.length, null);
    Arrays.fill(heap, n, heap.length, null);
    size = n;
    for (int i = n / 2 - 1; i >= 0; i--) {
      siftDown(i);
    }
  }

  /** Counts one more lease on {@code e}, keeping the order if it is placed. */
  void increment(HostEntry e) {
    e.count++;
    leases++;
    if (e.heapIndex >= 0) {
      siftDown(e.heapIndex);
    }
  }

  /** Counts one lease less on {@code e}, whose count is positive, keeping the order if placed. */
  void decrement(HostEntry e) {
    e.count--;
    leases--;
    if (e.heapIndex >= 0) {
      siftUp(e.heapIndex);
    }
  }

  /** Sets the effective weight of {@code e}, a positive number, keeping the order if placed. */
  void reweigh(HostEntry e, int effectiveWeight) {
    int before = e.effectiveWeight;
    e.effectiveWeight = effectiveWeight;
    if (e.heapIndex >= 0) {
      if (effectiveWeight > before) {
        siftUp(e.heapIndex);
      } else {
        siftDown(e.heapIndex);
      }
    }
  }

  /** Whether {@code a} would carry less load than {@code b} with one more connection each. */
  private static boolean lighter(HostEntry a, HostEntry b) {
    return (a.count + 1L) * b.effectiveWeight < (b.count + 1L) * a.effectiveWeight;
  }

  private void siftUp(int i) {
    HostEntry e = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      HostEntry p = heap[parent];
      if (!lighter(e, p)) {
        break;
      }
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  private void siftDown(int i) {
    HostEntry e = heap[i];
    int n = size;
    int half = n >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      HostEntry c = heap[child];
      int right = child + 1;
      if (right < n && lighter(heap[right], c)) {
        child = right;
        c = heap[right];
      }
      if (!lighter(c, e)) {
        break;
      }
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  /** Returns the leases counted by {@link #increment} and not yet by {@link #decrement}. */
  int leases() {
    return leases;
  }

  /** Returns the placed host with the least load; only when {@link #size} is positive. */
  HostEntry leastLoadedEntry() {
    return heap[0];
  }

  /** Returns the candidate at {@code index}, which the caller has checked. */
  HostEntry entry(int index) {
    return candidates[index];
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Host host(int index) {
    return candidates[Objects.checkIndex(index, size)].host;
  }

  @Override
  public int activeConnections(int index) {
    return candidates[Objects.checkIndex(index, size)].count;
  }

  @Override
  public double weight(int index) {
    return candidates[Objects.checkIndex(index, size)].effectiveWeight
        / (double) HostEntry.WEIGHT_SCALE;
  }

  @Override
  public int leastLoaded() {
    return heap[0].candidateIndex;
  }

  /**
   * Verifies both orders against the entries' indices, counts and weights.
   *
   * @throws AssertionError naming the first broken invariant
   */
  void checkInvariants() {
    int n = size;
    for (int i = 0; i < n; i++) {
      check(candidates[i].candidateIndex == i, "candidate index of " + candidates[i]);
      check(candidates[i].eligible(), "ineligible candidate " + candidates[i]);
      check(heap[i].heapIndex == i, "heap index of " + heap[i]);
      check(heap[i].effectiveWeight > 0, "weight not positive " + heap[i]);
      int c = heap[i].candidateIndex;
      check(c >= 0 && c < n && candidates[c] == heap[i], "not a candidate " + heap[i]);
      check(i == 0 || !lighter(heap[i], heap[(i - 1) >>> 1]), "heap order at " + i);
    }
    for (int i = n; i < heap.length; i++) {
      check(heap[i] == null && candidates[i] == null, "stale slot " + i);
    }
  }

  static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }

  @Override
  public String toString() {
    return "Candidates" + Arrays.toString(Arrays.copyOf(candidates, size));
  }
}
