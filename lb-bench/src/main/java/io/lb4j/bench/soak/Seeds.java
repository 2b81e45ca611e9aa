package io.lb4j.bench.soak;

import java.util.Random;

/**
 * Independent random sequences from one seed. {@code new Random(seed + i)} is not that: the
 * JDK's generator gives seeds that differ by little first outputs whose high bits agree, so case
 * after case would make the same first choice.
 */
public final class Seeds {

  private Seeds() {}

  /**
   * Returns a generator for sequence {@code stream} of {@code seed}, as unrelated to its neighbours
   * as a good 64-bit mix makes it.
   *
   * @param seed the run's seed
   * @param stream which sequence: a case's index, a client's number
   * @return a new generator; the same arguments always give the same sequence
   */
  public static Random random(long seed, long stream) {
    return new Random(mix(seed ^ mix(stream + 0x632BE59BD9B4E019L)));
  }

  // SplitMix64's finaliser: a bijection that spreads nearby inputs over all 64 bits.
  private static long mix(long x) {
    long z = x * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
