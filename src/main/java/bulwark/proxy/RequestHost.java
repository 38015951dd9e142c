package bulwark.proxy;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.List;

/**
 * The host a request is routed by and forwarded with, checked as RFC 9112 3.2 asks. On HTTP/1.x:
 * exactly one Host header (none is allowed on HTTP/1.0 only), whose value is a plain {@code
 * host[:port]}; when the request target is in absolute form ({@code GET http://a.test/x}), its
 * authority wins over the Host header (which must still be valid). On HTTP/2: the {@code
 * :authority} (or Host) as Vert.x read it, with the same syntax.
 *
 * <p>A host is a name of ASCII letters, digits, {@code -}, {@code _} and dots (no empty label), an
 * IPv4 address, or an IPv6 literal in brackets; a port is 1 to 5 digits up to 65535. Refused:
 * userinfo ({@code secure.test@evil.test}), a path, query or fragment, whitespace, a list, a
 * percent escape, an empty host or port. One trailing dot ({@code api.test.}, the absolute DNS
 * form) is removed, so routes for {@code api.test} match it.
 */
public final class RequestHost {
  private RequestHost() {}

  /** Why a request's host is refused (the message is the problem's detail). */
  public static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The request's authority, normalised; null when it has none (HTTP/1.0 without Host, HTTP/2
   * without :authority).
   */
  static HostAndPort of(HttpServerRequest req) throws Invalid {
    if (req.version() == HttpVersion.HTTP_2) {
      HostAndPort a = req.authority();
      return a == null
          ? null
          : parse(a.port() < 0 ? a.host() : a.host() + ":" + a.port(), "the :authority");
    }
    List<String> hosts = req.headers().getAll(H.HOST);
    if (hosts.size() > 1) throw new Invalid("more than one Host header");
    HostAndPort host = null;
    if (hosts.isEmpty()) {
      if (req.version() != HttpVersion.HTTP_1_0)
        throw new Invalid("no Host header (HTTP/1.1 requires one)");
    } else {
      host = parse(hosts.get(0), "the Host header");
    }
    String uri = req.uri();
    if (!uri.isEmpty() && uri.charAt(0) != '/') {
      int s = uri.indexOf("://");
      if (s > 0) {
        // absolute form: the target's authority wins (RFC 9112 3.2.2)
        int from = s + 3;
        int to = from;
        while (to < uri.length() && "/?#".indexOf(uri.charAt(to)) < 0) to++;
        return parse(uri.substring(from, to), "the request target's authority");
      }
    }
    return host;
  }

  /** Checks {@code value} as {@code host[:port]}; {@code what} names it in the refusal. */
  static HostAndPort parse(String value, String what) throws Invalid {
    long v = validate(value, what);
    int hostEnd = (int) (v >>> 32);
    int port = (int) v;
    // one trailing dot: the absolute form of the same name
    int end = value.charAt(hostEnd - 1) == '.' ? hostEnd - 1 : hostEnd;
    return HostAndPort.create(end == value.length() ? value : value.substring(0, end), port);
  }

  /**
   * Checks a Host header's value (without the whitespace around it), allocating nothing when it is
   * valid: the framing guard's check, before the request is passed on.
   *
   * @return null when valid, else why not
   */
  public static String check(String value) {
    try {
      validate(value, "the Host header");
      return null;
    } catch (Invalid e) {
      return e.getMessage();
    }
  }

  /**
   * Returns the end of the host part (with a trailing dot, if any) in the high half and the port
   * (-1 for none) in the low.
   */
  private static long validate(String value, String what) throws Invalid {
    int n = value.length();
    if (n == 0) throw new Invalid(what + " is empty");
    int hostEnd;
    if (value.charAt(0) == '[') {
      hostEnd = value.indexOf(']');
      if (hostEnd < 0) throw new Invalid(what + " has an unclosed IPv6 literal");
      hostEnd++;
      boolean colon = false;
      for (int i = 1; i < hostEnd - 1; i++) {
        char c = value.charAt(i);
        if (c == ':') colon = true;
        else if (!(c == '.'
            || (c >= '0' && c <= '9')
            || (c >= 'a' && c <= 'f')
            || (c >= 'A' && c <= 'F'))) {
          throw new Invalid(what + " has an invalid IPv6 literal");
        }
      }
      if (!colon) throw new Invalid(what + " has an invalid IPv6 literal");
      if (hostEnd < n && value.charAt(hostEnd) != ':')
        throw new Invalid(what + " is not host[:port]");
    } else {
      hostEnd = 0;
      char prev = '.';
      for (; hostEnd < n; hostEnd++) {
        char c = value.charAt(hostEnd);
        if (c == ':') break;
        if (c == '.') {
          if (prev == '.') throw new Invalid(what + " has an empty label");
        } else if (!((c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '-'
            || c == '_')) {
          throw new Invalid(what + " is not host[:port] (it has " + describe(c) + ")");
        }
        prev = c;
      }
      if (hostEnd == 0) throw new Invalid(what + " has no host");
    }
    int port = -1;
    if (hostEnd < n) {
      // value.charAt(hostEnd) == ':'
      int digits = n - hostEnd - 1;
      if (digits == 0) throw new Invalid(what + " has an empty port");
      if (digits > 5) throw new Invalid(what + " has a port over 65535");
      port = 0;
      for (int i = hostEnd + 1; i < n; i++) {
        char c = value.charAt(i);
        if (c < '0' || c > '9')
          throw new Invalid(what + " has an invalid port (it must be digits)");
        port = port * 10 + (c - '0');
      }
      if (port > 65535) throw new Invalid(what + " has a port over 65535");
    }
    return ((long) hostEnd << 32) | (port & 0xffffffffL);
  }

  private static String describe(char c) {
    return switch (c) {
      case '@' -> "userinfo ('@')";
      case '/', '?', '#' -> "a path, query or fragment ('" + c + "')";
      case ' ', '\t' -> "whitespace";
      case ',' -> "a list (',')";
      default -> c < 0x20 || c > 0x7e ? "a character outside printable ASCII" : "'" + c + "'";
    };
  }
}
