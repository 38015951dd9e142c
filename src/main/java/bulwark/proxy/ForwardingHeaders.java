package bulwark.proxy;

import bulwark.config.BulwarkConfig;
import bulwark.config.Cidr;
import bulwark.config.FlatRoute;
import bulwark.config.HeaderOps;
import bulwark.config.ServerConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header rules between client and upstream. Hop-by-hop headers, including every header the {@code
 * Connection} header names, are removed <b>before</b> Bulwark adds its own, so a client cannot make
 * Bulwark strip X-Forwarded-For (Traefik CVE-2024-45410). Forwarding headers from a client, and
 * server.proxyOnlyHeaders (True-Client-IP...), are kept only when the peer is a trusted proxy;
 * server.stripHeaders (X-Original-URL...) and the underscore spellings of the headers Bulwark sets
 * or checks (X_Forwarded_For, which CGI and WSGI servers read as X-Forwarded-For) are removed from
 * every request.
 */
public final class ForwardingHeaders {
  /** RFC 9110 7.6.1 hop-by-hop headers, plus the legacy ones proxies also drop. */
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "proxy-authenticate",
          "proxy-authorization",
          "http2-settings",
          "expect");

  /** The default of server.stripHeaders (ServerConfig's @Doc says the same; a test checks). */
  public static final List<String> DEFAULT_STRIP = List.of("X-Original-URL", "X-Rewrite-URL");

  /** The default of server.proxyOnlyHeaders. */
  public static final List<String> DEFAULT_PROXY_ONLY =
      List.of(
          "True-Client-IP",
          "X-Client-IP",
          "CF-Connecting-IP",
          "Fastly-Client-IP",
          "X-Cluster-Client-IP",
          "X-Forwarded-Port");

  /** Headers Bulwark itself sets or checks on every request, besides the hop-by-hop ones. */
  static final List<String> OWN =
      List.of(
          "host",
          "content-length",
          "content-type",
          "x-forwarded-for",
          "x-forwarded-proto",
          "x-forwarded-host",
          "x-forwarded-port",
          "forwarded",
          "x-request-id",
          "x-real-ip",
          "authorization",
          "cookie");

  private final List<Cidr> trusted;

  /** Removed from every request. */
  private final HeaderNameSet strip;

  /** Removed unless the peer is a trusted proxy. */
  private final HeaderNameSet proxyOnly;

  /** Both lists: one lookup for the common header that is on neither. */
  private final HeaderNameSet listed;

  /** Names whose underscore spelling is removed from every request ('_' and '-' alike). */
  private final HeaderNameSet guarded;

  /** With the default lists and only Bulwark's own headers guarded. */
  public ForwardingHeaders(List<Cidr> trusted) {
    this(trusted, DEFAULT_STRIP, DEFAULT_PROXY_ONLY, List.of());
  }

  /**
   * @param alsoGuarded more names whose underscore spelling is removed: those the config makes
   *     Bulwark set or check (forwarded claims, API key header, route header matches...)
   */
  public ForwardingHeaders(
      List<Cidr> trusted,
      Collection<String> strip,
      Collection<String> proxyOnly,
      Collection<String> alsoGuarded) {
    this.trusted = trusted;
    this.strip = new HeaderNameSet(strip, false);
    this.proxyOnly = new HeaderNameSet(proxyOnly, false);
    List<String> both = new ArrayList<>(strip);
    both.addAll(proxyOnly);
    this.listed = new HeaderNameSet(both, false);
    List<String> g = new ArrayList<>(HOP_BY_HOP);
    g.addAll(OWN);
    g.addAll(strip);
    g.addAll(proxyOnly);
    g.addAll(alsoGuarded);
    this.guarded = new HeaderNameSet(g, true);
  }

  /**
   * The header rules of a config: server.trustedProxies, stripHeaders, proxyOnlyHeaders, and the
   * names the config sets or checks.
   */
  public static ForwardingHeaders of(BulwarkConfig cfg) {
    ServerConfig s = cfg.server();
    List<Cidr> trusted = s.trustedProxies().stream().map(Cidr::parse).toList();
    Set<String> names = new LinkedHashSet<>();
    for (FlatRoute r : FlatRoute.flatten(cfg)) {
      if (r.route().match() != null && r.route().match().headers() != null)
        names.addAll(r.route().match().headers().keySet());
    }
    cfg.upstreams().values().forEach(u -> headerOf(u.hashOn(), names));
    cfg.middlewares()
        .values()
        .forEach(
            m -> {
              if (m.jwt() != null && m.jwt().forwardClaims() != null)
                names.addAll(m.jwt().forwardClaims().values());
              if (m.introspection() != null && m.introspection().forwardClaims() != null)
                names.addAll(m.introspection().forwardClaims().values());
              if (m.apiKey() != null && m.apiKey().header() != null) names.add(m.apiKey().header());
              if (m.rateLimit() != null && m.rateLimit().key() != null)
                headerOf(m.rateLimit().key().toString(), names);
              if (m.headers() != null && m.headers().request() != null) {
                HeaderOps ops = m.headers().request();
                if (ops.set() != null) names.addAll(ops.set().keySet());
                if (ops.add() != null) names.addAll(ops.add().keySet());
                if (ops.remove() != null) names.addAll(ops.remove());
              }
            });
    return new ForwardingHeaders(trusted, s.stripHeaders(), s.proxyOnlyHeaders(), names);
  }

  /** NAME of a "header:NAME" key. */
  private static void headerOf(String key, Set<String> into) {
    if (key != null && key.regionMatches(true, 0, "header:", 0, 7) && key.length() > 7)
      into.add(key.substring(7));
  }

  /**
   * Whether a client's request header never goes upstream: hop-by-hop, Host, named in Connection,
   * in server.stripHeaders, in server.proxyOnlyHeaders from an untrusted peer, or an underscore
   * spelling of a guarded name.
   */
  private boolean drop(String k, Set<String> named, boolean trust) {
    return hopByHop(k)
        || k.equalsIgnoreCase("host")
        || (named != null && named.contains(k.toLowerCase(Locale.ROOT)))
        || (listed.contains(k) && (strip.contains(k) || (!trust && proxyOnly.contains(k))))
        || (k.indexOf('_') >= 0 && guarded.contains(k));
  }

  public boolean trusted(String ip) {
    if (trusted.isEmpty() || ip == null) return false;
    byte[] addr = parseIp(ip);
    if (addr == null) return false;
    for (Cidr c : trusted) if (c.contains(addr)) return true;
    return false;
  }

  /**
   * The real client: the peer, or, when the peer is trusted, the right-most X-Forwarded-For entry
   * that is not itself a trusted proxy.
   */
  public String clientIp(String peer, MultiMap headers) {
    if (!trusted(peer)) return peer;
    String xff = headers.get(H.X_FORWARDED_FOR);
    if (xff == null) return peer;
    String[] parts = xff.split(",");
    for (int i = parts.length - 1; i >= 0; i--) {
      String ip = parts[i].trim();
      if (ip.isEmpty()) continue;
      if (parseIp(ip) == null) return peer;
      if (!trusted(ip)) return ip;
    }
    return peer;
  }

  /**
   * Copies the request headers for the upstream: drops hop-by-hop headers (and those named in
   * Connection), Host, server.stripHeaders, server.proxyOnlyHeaders unless the peer is trusted, and
   * underscore spellings of guarded names; then sets X-Forwarded-For/-Proto/-Host, Forwarded,
   * X-Real-IP and X-Request-Id.
   *
   * @param keepUpgrade keep Upgrade and Connection: upgrade (WebSocket pass-through)
   * @param inPlace edit {@code in} itself instead of copying it (HTTP/1.x: the request's own
   *     headers are not needed afterwards, and this saves a copy on every request)
   */
  public MultiMap upstreamHeaders(
      MultiMap in,
      boolean inPlace,
      String peer,
      boolean ssl,
      String host,
      String requestId,
      boolean keepUpgrade) {
    // read everything taken from the client before anything is removed
    boolean trust = trusted(peer);
    String upgrade = keepUpgrade ? in.get(H.UPGRADE) : null;
    String xff = trust ? join(in.getAll(H.X_FORWARDED_FOR)) : null;
    String xfp = trust ? in.get(H.X_FORWARDED_PROTO) : null;
    String xfh = trust ? in.get(H.X_FORWARDED_HOST) : null;
    String fwd = trust ? join(in.getAll(H.FORWARDED)) : null;
    // from a trusted proxy, its X-Real-IP, or else the client it names in X-Forwarded-For
    String realIp = null;
    if (trust) {
      realIp = in.get(H.X_REAL_IP);
      if (realIp == null) realIp = clientIp(peer, in);
    }
    Set<String> named = connectionNamed(in);
    MultiMap out;
    if (inPlace) {
      List<String> drop = null;
      for (var e : in) {
        String k = e.getKey();
        if (drop(k, named, trust)) {
          if (drop == null) drop = new ArrayList<>(4);
          drop.add(k);
        }
      }
      if (drop != null) for (String k : drop) in.remove(k);
      out = in;
    } else {
      out = HttpHeaders.headers();
      for (var e : in) {
        String k = e.getKey();
        if (drop(k, named, trust)) continue;
        out.add(k, e.getValue());
      }
    }
    if (keepUpgrade) {
      out.set("Connection", "Upgrade");
      out.set("Upgrade", upgrade);
    }
    if (!trust) {
      // the common case: the values depend only on the peer, the scheme and the Host, which stay
      // the
      // same for every request of a connection (and often across connections)
      Ours o = last;
      if (o == null
          || o.ssl != ssl
          || !o.peer.equals(peer)
          || !java.util.Objects.equals(o.host, host)) last = o = new Ours(peer, ssl, host);
      out.set(H.X_FORWARDED_FOR, o.xff);
      out.set(H.X_REAL_IP, o.xff);
      out.set(H.X_FORWARDED_PROTO, ssl ? H.HTTPS : H.HTTP);
      if (o.xfh != null) out.set(H.X_FORWARDED_HOST, o.xfh);
      else out.remove(H.X_FORWARDED_HOST);
      out.set(H.FORWARDED, o.forwarded);
      out.set(H.X_REQUEST_ID, requestId);
      return out;
    }
    out.set(H.X_FORWARDED_FOR, xff == null ? peer : xff + ", " + peer);
    out.set(H.X_REAL_IP, realIp);
    out.set(H.X_FORWARDED_PROTO, xfp != null ? xfp : ssl ? H.HTTPS : H.HTTP);
    if (xfh != null) out.set(H.X_FORWARDED_HOST, xfh);
    else if (host != null) out.set(H.X_FORWARDED_HOST, host);
    else out.remove(H.X_FORWARDED_HOST);
    String ours = forwardedElement(peer, ssl, host);
    out.set(H.FORWARDED, fwd == null ? ours : fwd + ", " + ours);
    out.set(H.X_REQUEST_ID, requestId);
    return out;
  }

  /**
   * The last untrusted peer's forwarding values (immutable: shared by the event loops without
   * locks).
   */
  private volatile Ours last;

  private static final class Ours {
    final String peer;
    final boolean ssl;
    final String host;
    final CharSequence xff;
    final CharSequence xfh;
    final CharSequence forwarded;

    Ours(String peer, boolean ssl, String host) {
      this.peer = peer;
      this.ssl = ssl;
      this.host = host;
      this.xff = H.ascii(peer);
      this.xfh = host == null ? null : H.ascii(host);
      this.forwarded = H.ascii(forwardedElement(peer, ssl, host));
    }
  }

  /** Bulwark's own RFC 7239 element: for=peer;proto=...;host="...". */
  private static String forwardedElement(String peer, boolean ssl, String host) {
    StringBuilder ours = new StringBuilder(64).append("for=");
    if (peer.indexOf(':') >= 0) ours.append("\"[").append(peer).append("]\"");
    else ours.append(peer);
    ours.append(";proto=").append(ssl ? "https" : "http");
    if (host != null) ours.append(";host=\"").append(host.replace("\"", "")).append('"');
    return ours.toString();
  }

  /** Copies upstream response headers for the client, dropping hop-by-hop ones. */
  public static void copyResponseHeaders(MultiMap from, MultiMap to) {
    Set<String> named = connectionNamed(from);
    for (var e : from) {
      String k = e.getKey();
      if (hopByHop(k) || (named != null && named.contains(k.toLowerCase(Locale.ROOT)))) continue;
      to.add(k, e.getValue());
    }
  }

  /** Case-insensitive membership in {@link #HOP_BY_HOP} without allocating. */
  static boolean hopByHop(String name) {
    return switch (name.length()) {
      case 2 -> name.equalsIgnoreCase("te");
      case 6 -> name.equalsIgnoreCase("expect");
      case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
      case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
      case 14 -> name.equalsIgnoreCase("http2-settings");
      case 16 -> name.equalsIgnoreCase("proxy-connection");
      case 17 -> name.equalsIgnoreCase("transfer-encoding");
      case 18 -> name.equalsIgnoreCase("proxy-authenticate");
      case 19 -> name.equalsIgnoreCase("proxy-authorization");
      default -> false;
    };
  }

  /**
   * The lower-case names listed in Connection that are not hop-by-hop already (those go anyway), or
   * null when there are none: the usual {@code Connection: keep-alive} of an upstream's response
   * costs no set and no per-header lookup.
   */
  static Set<String> connectionNamed(MultiMap in) {
    if (!in.contains(H.CONNECTION)) return null;
    java.util.HashSet<String> names = null;
    for (String c : in.getAll(H.CONNECTION)) {
      if (c.equalsIgnoreCase("keep-alive")) continue;
      for (String t : c.split(",")) {
        String n = t.trim().toLowerCase(Locale.ROOT);
        if (n.isEmpty() || hopByHop(n)) continue;
        if (names == null) names = new java.util.HashSet<>();
        names.add(n);
      }
    }
    return names;
  }

  private static String join(List<String> values) {
    if (values.isEmpty()) return null;
    return values.size() == 1 ? values.get(0) : String.join(", ", values);
  }

  /** Parses a literal IPv4/IPv6 address without DNS or regex; null if it is not one. */
  static byte[] parseIp(String ip) {
    if (ip.isEmpty()) return null;
    return io.netty.util.NetUtil.createByteArrayFromIpAddressString(ip);
  }
}
