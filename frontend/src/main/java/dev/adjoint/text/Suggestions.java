package dev.adjoint.text;

import java.util.Collection;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** "Did you mean" hints for misspelled op, attribute and initializer names. */
final class Suggestions {
  /** Farther than this, a candidate is a different word, not a typo. */
  private static final int MAX_DISTANCE = 2;

  private Suggestions() {}

  /** {@code " (did you mean 'relu'?)"}, or "" when no candidate is close to {@code word}. */
  static String hint(String word, Collection<String> candidates) {
    String best = closest(word, candidates);
    return best == null ? "" : " (did you mean '" + best + "'?)";
  }

  /** The candidate nearest to {@code word} (alphabetically first on ties), if it looks like a typo of it. */
  static @Nullable String closest(String word, Collection<String> candidates) {
    String best = null;
    int bestDistance = MAX_DISTANCE + 1;
    for (String c : new TreeSet<>(candidates)) {
      int d = distance(word, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
