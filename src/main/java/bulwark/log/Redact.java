package bulwark.log;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials in anything that may be logged: Authorization and Proxy-Authorization values
 * (Bearer, Basic and any other scheme), cookies, API keys (X-API-Key and the query parameters
 * api_key, apikey, access_token, token and a few more), and anything shaped like a JWT. Used by
 * {@link RedactingDecorator} on every string of every JSON log line (application and access log),
 * so a log statement added later cannot leak one either.
 */
public final class Redact {
  public static final String MASK = "[REDACTED]";

  /** Header names whose values are secrets. Lower case. */
  public static final Set<String> HEADERS =
      Set.of(
          "authorization",
          "proxy-authorization",
          "cookie",
          "set-cookie",
          "x-api-key",
          "api-key",
          "x-auth-token",
          "x-access-token");

  /** Query (or form) parameter names whose values are secrets. Lower case. */
  public static final Set<String> PARAMS =
      Set.of(
          "api_key",
          "apikey",
          "api-key",
          "access_token",
          "token",
          "id_token",
          "refresh_token",
          "client_secret",
          "password",
          "key");

  private static final Pattern JWT =
      Pattern.compile("eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*");
  private static final Pattern AUTH_SCHEME =
      Pattern.compile("(?i)\\b(bearer|basic|digest|negotiate)(\\s+)[A-Za-z0-9+/=._~-]{8,}");
  private static final Pattern HEADER_LINE =
      Pattern.compile(
          "(?i)\\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token)(\"?\\s*[:=]\\s*\"?)([^\"\\r\\n]+)");
  private static final Pattern PARAM =
      Pattern.compile(
          "(?i)(?<![A-Za-z0-9_-])(api_key|apikey|api-key|access_token|token|id_token|refresh_token|client_secret|password|key)=([^&\\s\"',;]+)");

  private Redact() {}

  /** True when a header's value must never be logged. */
  public static boolean sensitiveHeader(String name) {
    return name != null && HEADERS.contains(name.toLowerCase(Locale.ROOT));
  }

  /** A value safe to log for header {@code name}: the value itself, or the mask. */
  public static String header(String name, String value) {
    return sensitiveHeader(name) ? MASK : text(value);
  }

  /**
   * A query string with the values of secret parameters masked ({@code a=1&api_key=[REDACTED]}).
   */
  public static String query(String query) {
    if (query == null || query.isEmpty()) return query;
    return text(query);
  }

  /** Free text (a message, an exception message, a path, a query) with every credential masked. */
  public static String text(String s) {
    if (s == null || s.length() < 4 || !suspicious(s)) return s;
    String out =
        HEADER_LINE
            .matcher(s)
            .replaceAll(m -> Matcher.quoteReplacement(m.group(1) + m.group(2) + MASK));
    out =
        AUTH_SCHEME
            .matcher(out)
            .replaceAll(m -> Matcher.quoteReplacement(m.group(1) + m.group(2) + MASK));
    out = PARAM.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "=" + MASK));
    out = JWT.matcher(out).replaceAll(MASK);
    return out;
  }

  private static char lower(char c) {
    return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
  }

  /** What {@link #suspicious} looks for, in lower case; any case matches. */
  private static final String[] HINTS = {
    "eyj",
    "bearer",
    "basic",
    "digest",
    "negotiate",
    "token",
    "key",
    "auth",
    "cookie",
    "secret",
    "password"
  };

  /** The hints by their first letter ('a' to 'z'); null where none starts with it. */
  private static final String[][] HINTS_BY_FIRST = new String[26][];

  static {
    for (String h : HINTS) {
      String[] cur = HINTS_BY_FIRST[h.charAt(0) - 'a'];
      String[] next = cur == null ? new String[1] : java.util.Arrays.copyOf(cur, cur.length + 1);
      next[next.length - 1] = h;
      HINTS_BY_FIRST[h.charAt(0) - 'a'] = next;
    }
  }

  /**
   * A cheap pre-check, so most strings skip the regular expressions. It runs on every string of
   * every log line (the access log included): one pass, no allocation.
   */
  static boolean suspicious(String s) {
    int n = s.length() - 2; // every hint has at least three letters
    for (int i = 0; i < n; i++) {
      char c = lower(s.charAt(i));
      if (c < 'a' || c > 'z') continue;
      String[] hs = HINTS_BY_FIRST[c - 'a'];
      if (hs == null) continue;
      char c2 = lower(s.charAt(i + 1));
      for (String h : hs) {
        if (h.charAt(1) == c2 && s.regionMatches(true, i, h, 0, h.length())) return true;
      }
    }
    return false;
  }
}
