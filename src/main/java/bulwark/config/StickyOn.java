package bulwark.config;

/**
 * routes[].stickyOn, read: what keeps a request on the same backend. {@code client_ip}, {@code
 * header:NAME} or {@code cookie:NAME}. The grammar lives here, for the binder, the validator and
 * the generated docs alike; {@link #toString()} is the setting as written (also the grammar of
 * upstreams' hashOn, which routing reuses to compute the key).
 */
public record StickyOn(Kind kind, String name) {
  public enum Kind {
    CLIENT_IP,
    HEADER,
    COOKIE
  }

  public static final StickyOn CLIENT_IP = new StickyOn(Kind.CLIENT_IP, null);

  /** The key written as {@code spec}; throws saying what it may be. */
  public static StickyOn parse(String spec) {
    if (spec.equals("client_ip")) return CLIENT_IP;
    if (spec.startsWith("header:") && Syntax.token(spec.substring(7)))
      return new StickyOn(Kind.HEADER, spec.substring(7));
    if (spec.startsWith("cookie:") && Syntax.token(spec.substring(7)))
      return new StickyOn(Kind.COOKIE, spec.substring(7));
    throw new IllegalArgumentException(
        "'" + spec + "' must be client_ip, header:NAME or cookie:NAME");
  }

  @Override
  public String toString() {
    return switch (kind) {
      case CLIENT_IP -> "client_ip";
      case HEADER -> "header:" + name;
      case COOKIE -> "cookie:" + name;
    };
  }
}
