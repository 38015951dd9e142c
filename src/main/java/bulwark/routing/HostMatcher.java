package bulwark.routing;

import java.util.Locale;

/** Exact host ({@code api.example.com}) or one leading wildcard label ({@code *.example.com}). */
public record HostMatcher(String spec, String suffix) {
  public static HostMatcher of(String spec) {
    String s = withoutTrailingDot(spec.toLowerCase(Locale.ROOT));
    return new HostMatcher(s, s.startsWith("*.") ? s.substring(1) : null);
  }

  /** {@code host} without port, any case; one trailing dot (the absolute DNS form) is ignored. */
  public boolean matches(String host) {
    if (host == null) return false;
    host = withoutTrailingDot(host);
    if (suffix == null) return spec.equalsIgnoreCase(host);
    // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com"
    return host.length() > suffix.length()
        && host.regionMatches(true, host.length() - suffix.length(), suffix, 0, suffix.length());
  }

  private static String withoutTrailingDot(String h) {
    return h.length() > 1 && h.charAt(h.length() - 1) == '.' ? h.substring(0, h.length() - 1) : h;
  }
}
