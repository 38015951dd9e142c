package bulwark.config;

/**
 * rateLimit.key, read: what a bucket belongs to. {@code client_ip}, {@code route}, {@code
 * header:NAME}, {@code consumer} or {@code claim:NAME}. The grammar lives here, for the validator
 * and the rate-limit filter alike; {@link #toString()} is the setting as written.
 */
public record RateLimitKeySpec(Kind kind, String name) {
  public enum Kind {
    CLIENT_IP,
    ROUTE,
    HEADER,
    CONSUMER,
    CLAIM
  }

  public static final RateLimitKeySpec CLIENT_IP = new RateLimitKeySpec(Kind.CLIENT_IP, null);

  /** The key written as {@code spec}; throws saying what it may be. */
  public static RateLimitKeySpec parse(String spec) {
    if (spec.equals("client_ip")) return CLIENT_IP;
    if (spec.equals("route")) return new RateLimitKeySpec(Kind.ROUTE, null);
    if (spec.startsWith("header:") && Syntax.token(spec.substring(7)))
      return new RateLimitKeySpec(Kind.HEADER, spec.substring(7));
    if (spec.equals("consumer")) return new RateLimitKeySpec(Kind.CONSUMER, null);
    if (spec.startsWith("claim:") && spec.length() > 6)
      return new RateLimitKeySpec(Kind.CLAIM, spec.substring(6));
    throw new IllegalArgumentException(
        "'" + spec + "' must be client_ip, route, header:NAME, consumer or claim:NAME");
  }

  @Override
  public String toString() {
    return switch (kind) {
      case CLIENT_IP -> "client_ip";
      case ROUTE -> "route";
      case HEADER -> "header:" + name;
      case CONSUMER -> "consumer";
      case CLAIM -> "claim:" + name;
    };
  }
}
