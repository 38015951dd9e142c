package bulwark.proxy;

import bulwark.config.Cidr;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
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
    String xff = headers.get("X-Forwarded-For");
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
   */
  public MultiMap upstreamHeaders(MultiMap in, String peer, boolean ssl, String host, String requestId, boolean keepUpgrade) {
    MultiMap out = HttpHeaders.headers();
    Set<String> named = connectionNamed(in);
    for (var e : in) {
      String k = e.getKey();
      if (hopByHop(k) || k.equalsIgnoreCase("host") || (named != null && named.contains(k.toLowerCase(Locale.ROOT)))) continue;
      out.add(k, e.getValue());
    }
    if (keepUpgrade) {
      out.set("Connection", "Upgrade");
      out.set("Upgrade", in.get("Upgrade"));
    }
    boolean trust = trusted(peer);
    String proto = ssl ? "https" : "http";
    String xff = trust ? join(in.getAll("X-Forwarded-For")) : null;
    out.set("X-Forwarded-For", xff == null ? peer : xff + ", " + peer);
    String xfp = trust ? in.get("X-Forwarded-Proto") : null;
    out.set("X-Forwarded-Proto", xfp == null ? proto : xfp);
    String xfh = trust ? in.get("X-Forwarded-Host") : null;
    if (xfh != null) out.set("X-Forwarded-Host", xfh);
    else if (host != null) out.set("X-Forwarded-Host", host);
    else out.remove("X-Forwarded-Host");
    String fwd = trust ? join(in.getAll("Forwarded")) : null;
    StringBuilder ours = new StringBuilder(64).append("for=");
    if (peer.indexOf(':') >= 0) ours.append("\"[").append(peer).append("]\"");
    else ours.append(peer);
    ours.append(";proto=").append(proto);
    if (host != null) ours.append(";host=\"").append(host.replace("\"", "")).append('"');
    out.set("Forwarded", fwd == null ? ours.toString() : fwd + ", " + ours);
    out.set("X-Request-Id", requestId);
    return out;
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

  private static Set<String> connectionNamed(MultiMap in) {
    List<String> conn = in.getAll("Connection");
    if (conn.isEmpty()) return null;
    java.util.HashSet<String> names = new java.util.HashSet<>();
    for (String c : conn) {
      for (String t : c.split(",")) {
        String n = t.trim().toLowerCase(Locale.ROOT);
        if (!n.isEmpty()) names.add(n);
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
