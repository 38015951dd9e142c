package bulwark.filter.auth;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * Where a bearer token is read: the Authorization header (default), a cookie or a query parameter.
 */
public final class TokenSource {
  /** Tokens longer than this are refused before any parsing. */
  public static final int MAX_TOKEN_CHARS = 8192;

  private enum Kind {
    HEADER,
    COOKIE,
    QUERY
  }

  private final Kind kind;
  private final String name;

  private TokenSource(Kind kind, String name) {
    this.kind = kind;
    this.name = name;
  }

  /** header, cookie:NAME or query:NAME (validated by the config validator). */
  public static TokenSource parse(String spec) {
    if (spec == null || spec.equals("header")) return new TokenSource(Kind.HEADER, "Authorization");
    if (spec.startsWith("cookie:")) return new TokenSource(Kind.COOKIE, spec.substring(7));
    if (spec.startsWith("query:")) return new TokenSource(Kind.QUERY, spec.substring(6));
    throw new IllegalArgumentException(
        "token must be header, cookie:NAME or query:NAME, got '" + spec + "'");
  }

  public Token read(HttpServerRequest request) throws Rejection {
    return switch (kind) {
      case HEADER -> fromAuthorization(request.headers().getAll(name));
      case COOKIE -> {
        Cookie c = request.getCookie(name);
        yield c == null ? null : check(c.getValue());
      }
      case QUERY -> {
        List<String> all = request.params().getAll(name);
        if (all.size() > 1) throw new Rejection(400, "invalid_request", "more than one token");
        yield all.isEmpty() ? null : check(all.get(0));
      }
    };
  }

  /** The token of Authorization values: null when there is no Bearer credential. */
  public static Token fromAuthorization(List<String> values) throws Rejection {
    if (values.isEmpty()) return null;
    if (values.size() > 1)
      throw new Rejection(400, "invalid_request", "more than one Authorization header");
    String v = values.get(0);
    if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
    return check(v.substring(7).trim());
  }

  static Token check(String token) throws Rejection {
    if (token.isEmpty()) throw Rejection.invalid("empty token");
    if (token.length() > MAX_TOKEN_CHARS) throw Rejection.invalid("token too large");
    // RFC 6750 b64token
    int i = 0;
    int n = token.length();
    while (i < n && b64(token.charAt(i))) i++;
    while (i < n && token.charAt(i) == '=') i++;
    if (i != n) throw Rejection.invalid("malformed token");
    return new Token(token);
  }

  private static boolean b64(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~'
        || c == '+'
        || c == '/';
  }

  /** A token that passed the size and character checks. */
  public record Token(String value) {
    @Override
    public String toString() {
      return "Token[" + value.length() + " chars]";
    }
  }
}
