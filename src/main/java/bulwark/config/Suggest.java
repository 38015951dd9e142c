package bulwark.config;

import java.util.Collection;

/** "did you mean" suggestions by edit distance. */
public final class Suggest {
  private Suggest() {}

  /**
   * " (did you mean 'x'?)" when a candidate is close, else " (known: a, b, c)", or "" with no
   * candidates.
   */
  public static String didYouMean(String input, Collection<String> candidates) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(input.toLowerCase(), c.toLowerCase());
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    if (best == null) return "";
    if (bestD <= Math.max(2, best.length() / 3)) return " (did you mean '" + best + "'?)";
    return " (known: " + String.join(", ", candidates) + ")";
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
