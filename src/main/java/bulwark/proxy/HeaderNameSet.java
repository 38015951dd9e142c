package bulwark.proxy;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * An immutable set of header names, looked up case-insensitively without allocating: an open
 * addressing table over a case-folding hash, built once per config. With {@code underscores}, '_'
 * and '-' are the same character too (how CGI and WSGI servers see names).
 */
final class HeaderNameSet {
  private final String[] slots;
  private final int mask;
  private final boolean underscores;
  private final int minLength;
  private final int maxLength;
  private final Set<String> names;

  HeaderNameSet(Collection<String> names, boolean underscores) {
    this.underscores = underscores;
    Set<String> folded = new LinkedHashSet<>();
    for (String n : names) if (n != null && !n.isEmpty()) folded.add(fold(n, underscores));
    this.names = Set.copyOf(folded);
    int size = Integer.highestOneBit(Math.max(4, folded.size() * 4) - 1) << 1;
    this.slots = new String[size];
    this.mask = size - 1;
    int min = Integer.MAX_VALUE, max = 0;
    for (String n : folded) {
      int i = hash(n, underscores) & mask;
      while (slots[i] != null) i = (i + 1) & mask;
      slots[i] = n;
      min = Math.min(min, n.length());
      max = Math.max(max, n.length());
    }
    this.minLength = folded.isEmpty() ? 1 : min;
    this.maxLength = max;
  }

  boolean isEmpty() {
    return names.isEmpty();
  }

  /** The folded names (lower case; with underscores, '-' for '_'). */
  Set<String> names() {
    return names;
  }

  boolean contains(CharSequence name) {
    int len = name.length();
    if (len < minLength || len > maxLength) return false;
    for (int i = hash(name, underscores) & mask; ; i = (i + 1) & mask) {
      String s = slots[i];
      if (s == null) return false;
      if (s.length() == len && same(s, name)) return true;
    }
  }

  private boolean same(String folded, CharSequence name) {
    for (int i = 0; i < folded.length(); i++) {
      if (folded.charAt(i) != fold(name.charAt(i), underscores)) return false;
    }
    return true;
  }

  private static int hash(CharSequence s, boolean underscores) {
    int h = 0;
    for (int i = 0; i < s.length(); i++) h = 31 * h + fold(s.charAt(i), underscores);
    return h ^ (h >>> 16);
  }

  private static char fold(char c, boolean underscores) {
    if (c >= 'A' && c <= 'Z') return (char) (c + 32);
    return underscores && c == '_' ? '-' : c;
  }

  private static String fold(String s, boolean underscores) {
    String l = s.toLowerCase(Locale.ROOT);
    return underscores ? l.replace('_', '-') : l;
  }
}
