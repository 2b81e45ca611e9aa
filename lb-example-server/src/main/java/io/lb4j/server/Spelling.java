package io.lb4j.server;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Finds the name a user probably meant, for errors that name an unknown field. */
final class Spelling {

  private Spelling() {}

  /**
   * Returns the known name closest to {@code typed}, if it is close enough to be a slip: at most
   * a third of the typed length apart (at least 1, at most 3 edits), ignoring case. Ties go to
   * the first in {@code known}'s order.
   */
  static Optional<String> closest(String typed, Collection<String> known) {
    int allowed = Math.max(1, Math.min(3, typed.length() / 3));
    String best = null;
    int bestDistance = allowed + 1;
    for (String name : known) {
      int d = distance(typed.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Levenshtein distance: insertions, deletions and substitutions, one edit each. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
