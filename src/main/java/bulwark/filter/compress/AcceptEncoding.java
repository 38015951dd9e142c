package bulwark.filter.compress;

import bulwark.config.CompressionAlgorithm;

/**
 * The client's Accept-Encoding (RFC 9110 12.5.3), read against the configured codings: each coding
 * gets the q-value the header gives it by name (x-gzip counts as gzip), else that of '*', else 0;
 * q=0 refuses it. Of the codings with the highest q above 0, the first configured wins. No header,
 * or an empty one, asks for no coding.
 */
final class AcceptEncoding {
  private static final int UNSET = -1;

  private AcceptEncoding() {}

  /**
   * @param header the Accept-Encoding value (all of its lines joined with ','), or null
   * @param offered the configured codings, in order of preference
   * @return the coding to use, or null for none
   */
  static CompressionAlgorithm choose(String header, CompressionAlgorithm[] offered) {
    if (header == null || header.isBlank() || offered.length == 0) return null;
    // q-values in thousandths, by offered index; UNSET: not named
    int[] named = new int[offered.length];
    java.util.Arrays.fill(named, UNSET);
    int star = UNSET;
    int i = 0;
    int n = header.length();
    while (i < n) {
      int end = header.indexOf(',', i);
      if (end < 0) end = n;
      int semi = header.indexOf(';', i);
      int nameEnd = semi >= 0 && semi < end ? semi : end;
      String coding = header.substring(i, nameEnd).trim();
      int q = nameEnd < end ? qValue(header, nameEnd + 1, end) : 1000;
      if (!coding.isEmpty() && q >= 0) {
        if (coding.equals("*")) star = q;
        else {
          for (int k = 0; k < offered.length; k++)
            if (matches(coding, offered[k])) named[k] = Math.max(named[k], q);
        }
      }
      i = end + 1;
    }
    CompressionAlgorithm best = null;
    int bestQ = 0;
    for (int k = 0; k < offered.length; k++) {
      int q = named[k] != UNSET ? named[k] : (star != UNSET ? star : 0);
      if (q > bestQ) {
        bestQ = q;
        best = offered[k];
      }
    }
    return best;
  }

  private static boolean matches(String coding, CompressionAlgorithm a) {
    return switch (a) {
      case GZIP -> coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip");
      case BR -> coding.equalsIgnoreCase("br");
    };
  }

  /**
   * The q parameter among the parameters in [from, to), in thousandths: 1000 when there is none, -1
   * when it is malformed (the element is then ignored).
   */
  static int qValue(String h, int from, int to) {
    int q = 1000;
    for (String param : h.substring(from, to).split(";")) {
      int eq = param.indexOf('=');
      if (eq < 0) continue;
      if (!param.substring(0, eq).trim().equalsIgnoreCase("q")) continue;
      q = parseQ(param.substring(eq + 1).trim());
    }
    return q;
  }

  /** "0", "0.5", "1.000": thousandths; -1 when it is not a qvalue. */
  private static int parseQ(String v) {
    if (v.isEmpty() || v.length() > 5) return -1;
    char first = v.charAt(0);
    if (first != '0' && first != '1') return -1;
    int whole = first - '0';
    int frac = 0;
    if (v.length() > 1) {
      if (v.charAt(1) != '.') return -1;
      int scale = 100;
      for (int k = 2; k < v.length(); k++) {
        char c = v.charAt(k);
        if (c < '0' || c > '9') return -1;
        frac += (c - '0') * scale;
        scale /= 10;
      }
    }
    int q = whole * 1000 + frac;
    return q > 1000 ? -1 : q;
  }
}
