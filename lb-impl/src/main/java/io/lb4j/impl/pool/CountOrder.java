package io.lb4j.impl.pool;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.Host;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * The eligible hosts of a {@link HostPool} in two orders: configuration order, which is what a
 * {@link BalancingStrategy} sees as its candidates, and connection count, which answers "the least
 * loaded" in constant time.
 *
 * <p>The count order is an array sorted by count, with the index where each count value starts.
 * A count changes by one, so counting a lease or giving it back moves its host by one swap and one
 * boundary. {@link #rebuild} places the eligible hosts from scratch in O(n log n), for the rare
 * changes of health and configuration. {@link #checkInvariants} states what must hold between the
 * two orders and the counts.
 *
 * <p>Not thread-safe: every method runs under the owning pool's lock, including the strategy's
 * calls through the {@link BalancingStrategy.Candidates} view this class is.
 */
final class CountOrder implements BalancingStrategy.Candidates {

  private static final Comparator<HostEntry> BY_COUNT = Comparator.comparingInt(e -> e.count);

  /** The eligible hosts in configuration order, in {@code [0, size)}. */
  private HostEntry[] candidates = new HostEntry[0];

  /** The same hosts ordered by connection count, ascending. */
  private HostEntry[] byCount = new HostEntry[0];

  private int size;

  /**
   * {@code countStart[c]} is how many eligible hosts hold fewer than {@code c} connections, so the
   * hosts with exactly {@code c} sit in {@code byCount[countStart[c] .. countStart[c + 1])}. The
   * array is always longer than the highest eligible count plus one.
   */
  private int[] countStart = new int[16];

  /**
   * Places the eligible ones of {@code configured}, in its order, and clears the place of the
   * others. Entries left out of {@code configured} must have been unplaced by the caller.
   */
  void rebuild(HostEntry[] configured) {
    if (candidates.length != configured.length) {
      candidates = new HostEntry[configured.length];
      byCount = new HostEntry[configured.length];
    }
    int n = 0;
    int max = 0;
    for (HostEntry e : configured) {
      e.candidateIndex = -1;
      e.sortedIndex = -1;
      if (e.eligible()) {
        candidates[n] = e;
        e.candidateIndex = n;
        n++;
        max = Math.max(max, e.count);
      }
    }
    Arrays.fill(candidates, n, candidates.length, null);
    System.arraycopy(candidates, 0, byCount, 0, n);
    Arrays.fill(byCount, n, byCount.length, null);
    Arrays.sort(byCount, 0, n, BY_COUNT);
    for (int i = 0; i < n; i++) {
      byCount[i].sortedIndex = i;
    }
    size = n;
    int length = Math.max(16, max + 2);
    if (countStart.length < length || countStart.length > 4 * length) {
      countStart = new int[length];
    }
    int fewer = 0;
    for (int c = 0; c < countStart.length; c++) {
      while (fewer < n && byCount[fewer].count < c) {
        fewer++;
      }
      countStart[c] = fewer;
    }
  }

  /** Counts one more lease on {@code e}, keeping the order if it is placed. */
  void increment(HostEntry e) {
    int c = e.count;
    if (e.sortedIndex >= 0) {
      // The host moves from the end of its count group to the start of the next one.
      int last = countStart[c + 1] - 1;
      swap(e.sortedIndex, last);
      countStart[c + 1] = last;
      if (countStart.length < c + 3) {
        int[] grown = Arrays.copyOf(countStart, Math.max(c + 3, countStart.length * 2));
        Arrays.fill(grown, countStart.length, grown.length, size);
        countStart = grown;
      }
    }
    e.count = c + 1;
  }

  /** Counts one lease less on {@code e}, whose count is positive, keeping the order if placed. */
  void decrement(HostEntry e) {
    int c = e.count;
    if (e.sortedIndex >= 0) {
      // The host moves from the start of its count group to the end of the previous one.
      int first = countStart[c];
      swap(e.sortedIndex, first);
      countStart[c] = first + 1;
    }
    e.count = c - 1;
  }

  private void swap(int i, int j) {
    HostEntry a = byCount[i];
    HostEntry b = byCount[j];
    byCount[i] = b;
    b.sortedIndex = i;
    byCount[j] = a;
    a.sortedIndex = j;
  }

  /** Returns the placed host with the fewest connections; only when {@link #size} is positive. */
  HostEntry leastLoadedEntry() {
    return byCount[0];
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
  public int leastLoaded() {
    return byCount[0].candidateIndex;
  }

  /**
   * Verifies both orders against the entries' indices and counts.
   *
   * @throws AssertionError naming the first broken invariant
   */
  void checkInvariants() {
    int n = size;
    for (int i = 0; i < n; i++) {
      check(candidates[i].candidateIndex == i, "candidate index of " + candidates[i]);
      check(candidates[i].eligible(), "ineligible candidate " + candidates[i]);
      check(byCount[i].sortedIndex == i, "sorted index of " + byCount[i]);
      int c = byCount[i].candidateIndex;
      check(c >= 0 && c < n && candidates[c] == byCount[i], "not a candidate " + byCount[i]);
      check(i == 0 || byCount[i - 1].count <= byCount[i].count, "order at " + i);
    }
    check(n == 0 || countStart.length > byCount[n - 1].count + 1, "countStart too short");
    int[] withCount = new int[countStart.length];
    for (int i = 0; i < n; i++) {
      withCount[byCount[i].count]++;
    }
    int fewer = 0;
    for (int c = 0; c < countStart.length; c++) {
      check(countStart[c] == fewer, "countStart[" + c + "] = " + countStart[c] + " not " + fewer);
      fewer += withCount[c];
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
