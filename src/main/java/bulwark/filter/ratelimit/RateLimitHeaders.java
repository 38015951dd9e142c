package bulwark.filter.ratelimit;

import io.vertx.core.MultiMap;

/**
 * The response fields of draft-ietf-httpapi-ratelimit-headers (structured-field form) and {@code
 * Retry-After}. A token bucket is described as the quota {@code q} of a full bucket that refills in
 * {@code w} seconds; {@code r} is what is left in the bucket and {@code t} the seconds until it is
 * full again. Seconds are whole and rounded up.
 */
public final class RateLimitHeaders {
  public static final String POLICY = "RateLimit-Policy";
  public static final String STATE = "RateLimit";
  public static final String RETRY_AFTER = "Retry-After";

  private RateLimitHeaders() {}

  /** {@code "name";q=20;w=1} */
  public static String policy(String name, long quota, long windowSeconds) {
    return sfString(name) + ";q=" + quota + ";w=" + windowSeconds;
  }

  /** {@code "name";r=0;t=1} */
  public static String state(String name, long remaining, long resetSeconds) {
    return sfString(name) + ";r=" + remaining + ";t=" + resetSeconds;
  }

  /** Whole seconds, rounded up: 1 ns is 1 s, 0 is 0. */
  public static long seconds(long nanos) {
    if (nanos <= 0) return 0;
    return (nanos + 999_999_999L) / 1_000_000_000L;
  }

  /** Retry-After for a refusal: whole seconds until a token is back, at least 1. */
  public static long retryAfter(long nanosToWait) {
    return Math.max(1, seconds(nanosToWait));
  }

  /** Sets the two RateLimit fields for {@code verdict}. */
  public static void apply(MultiMap headers, Verdict verdict) {
    headers.set(POLICY, verdict.policy().header());
    headers.set(
        STATE, state(verdict.policy().name(), verdict.remaining(), seconds(verdict.nanosToFull())));
  }

  /**
   * An RFC 8941 sf-string: printable ASCII in quotes, with {@code "} and {@code \} escaped; other
   * characters become '?'.
   */
  static String sfString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) sb.append('?');
      else sb.append(c);
    }
    return sb.append('"').toString();
  }

  /** The outcome of one limit for one request. */
  public record Verdict(RateLimitPolicy policy, long remaining, long nanosToFull) {}
}
