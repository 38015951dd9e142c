package bulwark.upstream;

/**
 * What consistent_hash hashes a request on ({@code upstreams.*.hashOn}): the client's IP, a request
 * header, a cookie or the normalised path. Parsed once when the upstream is built; the balancer
 * computes the key from the request ({@link Source}), so the proxy never does.
 */
public record HashOn(Kind kind, String name) {
  public enum Kind {
    CLIENT_IP,
    HEADER,
    COOKIE,
    PATH
  }

  public static final HashOn CLIENT_IP = new HashOn(Kind.CLIENT_IP, null);
  public static final HashOn PATH = new HashOn(Kind.PATH, null);

  /** What a request offers to hash on. The proxy's request implements it; tests fake it. */
  public interface Source {
    String clientIp();

    /** The normalised path, as routing matched it. */
    String path();

    String header(String name);

    String cookie(String name);

    /** The query string without '?', or null (for a route's canary rules). */
    default String rawQuery() {
      return null;
    }
  }

  /**
   * "client_ip" (also the default, for null), "path", "header:NAME" or "cookie:NAME". The validator
   * has rejected anything else; an unknown value here hashes on the client IP, as before.
   */
  public static HashOn parse(String s) {
    if (s == null) return CLIENT_IP;
    if (s.startsWith("header:")) return new HashOn(Kind.HEADER, s.substring(7));
    if (s.startsWith("cookie:")) return new HashOn(Kind.COOKIE, s.substring(7));
    return s.equals("path") ? PATH : CLIENT_IP;
  }

  /**
   * The request's key, or null when it has none (no such header or cookie): then balanced like
   * random.
   */
  public String keyOf(Source request) {
    return switch (kind) {
      case CLIENT_IP -> request.clientIp();
      case PATH -> request.path();
      case HEADER -> request.header(name);
      case COOKIE -> request.cookie(name);
    };
  }
}
