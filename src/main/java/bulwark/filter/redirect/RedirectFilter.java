package bulwark.filter.redirect;

import bulwark.config.RedirectConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.routing.PathNormalizer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.net.HostAndPort;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code redirect} middleware: answers at the gateway with the configured status and a Location
 * (an absolute URL), an empty body, and never forwards the request. The Location is the request's
 * own URL with the configured parts replaced. The request's scheme and host are those the gateway
 * sends upstream in X-Forwarded-Proto and X-Forwarded-Host: a trusted proxy's values, else the
 * connection's own scheme and the Host. The path is the normalised one routing matched. A request
 * whose scheme, host, port and path would all stay the same passes on (an https request under a
 * {@code scheme: https} redirect), so a redirect never loops onto itself.
 */
public final class RedirectFilter implements Filter {
  /** A host[:port] fit for a Location: a name or IPv4 address, or a bracketed IPv6 address. */
  private static final Pattern AUTHORITY =
      Pattern.compile("([A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(:\\d{1,5})?");

  private final String scheme;
  private final String host;
  private final int port;
  private final String prefixFrom;
  private final String prefixTo;
  private final String path;
  private final int status;
  private final boolean keepQuery;

  public RedirectFilter(RedirectConfig config) {
    this.scheme = config.scheme() == null ? null : config.scheme().configName();
    this.host = config.host();
    this.port = config.port();
    this.prefixFrom = config.prefix() == null ? null : trimSlash(config.prefix().from());
    this.prefixTo = config.prefix() == null ? null : trimSlash(config.prefix().to());
    this.path = config.path();
    this.status = config.status() == 0 ? 308 : config.status();
    this.keepQuery = config.keepQuery();
  }

  /** "/old/" and "/old" match alike; "/" stays "" (every path starts with it). */
  private static String trimSlash(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    String location = location(ex);
    if (location == null) return next.next(ex);
    ex.response().putHeader("Location", location);
    ex.respond(status);
    return Future.succeededFuture();
  }

  /** The Location for this request, or null when the URL would not change. */
  String location(Exchange ex) {
    String fromScheme = clientScheme(ex);
    HostAndPort from = clientAuthority(ex);
    String toScheme = scheme != null ? scheme : fromScheme;
    String fromHost = from == null ? "" : from.host();
    int fromPort = from == null || from.port() < 0 ? defaultPort(fromScheme) : from.port();
    String toHost = host != null ? host : fromHost;
    int toPort;
    if (port > 0) toPort = port;
    else if (!toScheme.equals(fromScheme)) toPort = defaultPort(toScheme);
    else toPort = fromPort;
    String fromPath = ex.path();
    String toPath = newPath(fromPath);
    if (toScheme.equals(fromScheme)
        && toHost.equalsIgnoreCase(fromHost)
        && toPort == fromPort
        && toPath.equals(fromPath)) return null;
    StringBuilder sb = new StringBuilder(64).append(toScheme).append("://");
    sb.append(toHost.indexOf(':') >= 0 && !toHost.startsWith("[") ? "[" + toHost + "]" : toHost);
    if (toPort != defaultPort(toScheme)) sb.append(':').append(toPort);
    sb.append(PathNormalizer.encode(toPath));
    String q = ex.request().query();
    if (keepQuery && q != null && !q.isEmpty()) sb.append('?').append(q);
    return sb.toString();
  }

  private String newPath(String p) {
    if (path != null) return path;
    if (prefixFrom == null) return p;
    if (p.equals(prefixFrom) || prefixFrom.isEmpty()) {
      String rest = p.substring(prefixFrom.length());
      return prefixTo + (rest.isEmpty() && prefixTo.isEmpty() ? "/" : rest);
    }
    if (p.startsWith(prefixFrom) && p.charAt(prefixFrom.length()) == '/')
      return prefixTo + p.substring(prefixFrom.length());
    return p;
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }

  /**
   * The scheme the client used: X-Forwarded-Proto as the gateway sends it upstream (a trusted
   * proxy's own, else the connection's), its first value.
   */
  static String clientScheme(Exchange ex) {
    MultiMap up = ex.upstreamHeaders();
    String xfp = up == null ? null : up.get("X-Forwarded-Proto");
    if (xfp != null) {
      int comma = xfp.indexOf(',');
      String s = (comma < 0 ? xfp : xfp.substring(0, comma)).trim().toLowerCase(Locale.ROOT);
      if (s.equals("http") || s.equals("https")) return s;
    }
    return ex.request().isSSL() ? "https" : "http";
  }

  /**
   * The host the client asked for: X-Forwarded-Host as the gateway sends it upstream (a trusted
   * proxy's own, else the request's Host), its first value, when it reads as host[:port]; else the
   * request's authority.
   */
  static HostAndPort clientAuthority(Exchange ex) {
    MultiMap up = ex.upstreamHeaders();
    String xfh = up == null ? null : up.get("X-Forwarded-Host");
    if (xfh != null) {
      int comma = xfh.indexOf(',');
      String h = (comma < 0 ? xfh : xfh.substring(0, comma)).trim();
      if (AUTHORITY.matcher(h).matches()) {
        HostAndPort hp = HostAndPort.parseAuthority(h, -1);
        if (hp != null) return hp;
      }
    }
    return ex.request().authority();
  }
}
