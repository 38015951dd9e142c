package bulwark.proxy;

import bulwark.config.Cidr;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header rules between client and upstream. Hop-by-hop headers, including every header the
 * {@code Connection} header names, are removed <b>before</b> Bulwark adds its own, so a client
 * cannot make Bulwark strip X-Forwarded-For (Traefik CVE-2024-45410). Forwarding headers from a
 * client are kept only when the peer is a trusted proxy.
 */
public final class ForwardingHeaders {
  /** RFC 9110 7.6.1 hop-by-hop headers, plus the legacy ones proxies also drop. */
  static final Set<String> HOP_BY_HOP = Set.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
      "proxy-authenticate", "proxy-authorization", "http2-settings", "expect");

  private final List<Cidr> trusted;

  public ForwardingHeaders(List<Cidr> trusted) {
    this.trusted = trusted;
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
   * Connection) and Host, then sets X-Forwarded-For/-Proto/-Host, Forwarded and X-Request-Id.
   *
   * @param keepUpgrade keep Upgrade and Connection: upgrade (WebSocket pass-through)
   * @param inPlace edit {@code in} itself instead of copying it (HTTP/1.x: the request's own headers
   *     are not needed afterwards, and this saves a copy on every request)
   */
  public MultiMap upstreamHeaders(MultiMap in, boolean inPlace, String peer, boolean ssl, String host, String requestId, boolean keepUpgrade) {
    // read everything taken from the client before anything is removed
    boolean trust = trusted(peer);
    String upgrade = keepUpgrade ? in.get(H.UPGRADE) : null;
    String xff = trust ? join(in.getAll(H.X_FORWARDED_FOR)) : null;
    String xfp = trust ? in.get(H.X_FORWARDED_PROTO) : null;
    String xfh = trust ? in.get(H.X_FORWARDED_HOST) : null;
    String fwd = trust ? join(in.getAll(H.FORWARDED)) : null;
    Set<String> named = connectionNamed(in);
    MultiMap out;
    if (inPlace) {
      List<String> drop = null;
      for (var e : in) {
        String k = e.getKey();
        if (hopByHop(k) || k.equalsIgnoreCase("host") || (named != null && named.contains(k.toLowerCase(Locale.ROOT)))) {
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
        if (hopByHop(k) || k.equalsIgnoreCase("host") || (named != null && named.contains(k.toLowerCase(Locale.ROOT)))) continue;
        out.add(k, e.getValue());
      }
    }
    if (keepUpgrade) {
      out.set("Connection", "Upgrade");
      out.set("Upgrade", upgrade);
    }
    if (!trust) {
      // the common case: the values depend only on the peer, the scheme and the Host, which stay the
      // same for every request of a connection (and often across connections)
      Ours o = last;
      if (o == null || o.ssl != ssl || !o.peer.equals(peer) || !java.util.Objects.equals(o.host, host)) last = o = new Ours(peer, ssl, host);
      out.set(H.X_FORWARDED_FOR, o.xff);
      out.set(H.X_FORWARDED_PROTO, ssl ? H.HTTPS : H.HTTP);
      if (o.xfh != null) out.set(H.X_FORWARDED_HOST, o.xfh);
      else out.remove(H.X_FORWARDED_HOST);
      out.set(H.FORWARDED, o.forwarded);
      out.set(H.X_REQUEST_ID, requestId);
      return out;
    }
    out.set(H.X_FORWARDED_FOR, xff == null ? peer : xff + ", " + peer);
    out.set(H.X_FORWARDED_PROTO, xfp != null ? xfp : ssl ? H.HTTPS : H.HTTP);
    if (xfh != null) out.set(H.X_FORWARDED_HOST, xfh);
    else if (host != null) out.set(H.X_FORWARDED_HOST, host);
    else out.remove(H.X_FORWARDED_HOST);
    String ours = forwardedElement(peer, ssl, host);
    out.set(H.FORWARDED, fwd == null ? ours : fwd + ", " + ours);
    out.set(H.X_REQUEST_ID, requestId);
    return out;
  }

  /** The last untrusted peer's forwarding values (immutable: shared by the event loops without locks). */
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
   * The lower-case names listed in Connection that are not hop-by-hop already (those go anyway),
   * or null when there are none: the usual {@code Connection: keep-alive} of an upstream's
   * response costs no set and no per-header lookup.
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
