package bulwark.filter.compress;

import java.util.List;
import java.util.Locale;

/**
 * The media types a compression middleware compresses: exact ones (application/json) and patterns
 * with one '*' in the subtype (text/*, application/*+json), or * / * for all. Matched against a
 * Content-Type without its parameters, case-insensitively.
 */
final class MediaTypes {
  private final String[] prefixes;
  private final String[] suffixes;
  private final boolean[] wildcard;

  private MediaTypes(List<String> types) {
    int n = types.size();
    prefixes = new String[n];
    suffixes = new String[n];
    wildcard = new boolean[n];
    for (int i = 0; i < n; i++) {
      String t = types.get(i).toLowerCase(Locale.ROOT);
      int star = t.indexOf('*');
      boolean all = t.equals("*/*");
      wildcard[i] = star >= 0;
      prefixes[i] = all ? "" : star >= 0 ? t.substring(0, star) : t;
      suffixes[i] = all || star < 0 ? "" : t.substring(star + 1);
    }
  }

  /** The config's types (validated: type/subtype with at most one '*' in the subtype). */
  static MediaTypes of(List<String> types) {
    return new MediaTypes(types);
  }

  /** Whether a response of this Content-Type is compressed; null (no Content-Type): never. */
  boolean matches(String contentType) {
    if (contentType == null) return false;
    int semi = contentType.indexOf(';');
    String t = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    for (int i = 0; i < prefixes.length; i++) {
      if (!wildcard[i]) {
        if (t.equalsIgnoreCase(prefixes[i])) return true;
      } else if (t.length() >= prefixes[i].length() + suffixes[i].length()
          && t.regionMatches(true, 0, prefixes[i], 0, prefixes[i].length())
          && t.regionMatches(
              true, t.length() - suffixes[i].length(), suffixes[i], 0, suffixes[i].length())
          && t.indexOf('/') > 0) {
        return true;
      }
    }
    return false;
  }
}
