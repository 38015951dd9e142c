package bulwark.admin;

import bulwark.config.AdminConfig;
import bulwark.config.HostPort;
import bulwark.proxy.Problem;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who may read the admin API: with admin.token or admin.readToken set, a request that carries
 * either as its bearer token (compared in constant time); with neither, only a request whose Host
 * is a loopback name or address, or one in admin.allowedHosts (a web page that rebinds its own name
 * to 127.0.0.1 sends its own name as Host). Refused requests are answered here.
 *
 * <p>Who may write (the config write API in etcd mode): a request with admin.token; never one with
 * admin.readToken (403); without any token set, only a request to a loopback listener from a
 * loopback peer.
 */
final class AdminAccess {
  /** What an admitted request may do, and how it was admitted (its name goes to the audit log). */
  enum Role {
    /** Carried admin.token: reads and writes. */
    ADMIN("admin"),
    /** Carried admin.readToken: reads only. */
    READ("read"),
    /** No token is set: a loopback request to a loopback listener. */
    LOOPBACK("loopback");

    final String auditName;

    Role(String auditName) {
      this.auditName = auditName;
    }
  }

  /** "Bearer " + admin.token, or null. */
  private final byte[] token;

  /** "Bearer " + admin.readToken, or null. */
  private final byte[] readToken;

  /** admin.allowedHosts, lower case, without a trailing dot. */
  private final Set<String> allowedHosts;

  /** Whether the admin listener is on a loopback address. */
  private final boolean loopbackListener;

  AdminAccess(AdminConfig config) {
    HostPort hp = HostPort.parse(config.listen());
    this.loopbackListener = hp != null && hp.loopback();
    this.token = bearer(config.token());
    this.readToken = bearer(config.readToken());
    Set<String> hosts = new HashSet<>();
    for (String h : config.allowedHosts() == null ? List.<String>of() : config.allowedHosts())
      hosts.add(hostName(h));
    this.allowedHosts = Set.copyOf(hosts);
  }

  /** "Bearer " + secret as bytes, or null when the secret is not set. */
  static byte[] bearer(String secret) {
    return secret == null || secret.isEmpty()
        ? null
        : ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the request may read the admin API; when not, it has been answered (401 or 421). */
  boolean admit(HttpServerRequest req, String rid) {
    return role(req, rid) != null;
  }

  /**
   * How the request is admitted, or null when it is not (then it has been answered: 401 or 421).
   */
  Role role(HttpServerRequest req, String rid) {
    if (token != null || readToken != null) {
      byte[] given = given(req);
      // both compared, in constant time each, whichever matches
      boolean full = token != null && MessageDigest.isEqual(given, token);
      boolean read = readToken != null && MessageDigest.isEqual(given, readToken);
      if (full) return Role.ADMIN;
      if (!read) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"bulwark-admin\"");
        Problem.send(
            req.response(),
            401,
            "Unauthorized",
            "the admin API needs a valid bearer token",
            rid,
            req.path());
        return null;
      }
      return Role.READ;
    } else if (!hostAllowed(req)) {
      // no token: only a loopback listener (the validator sees to that), and only requests for a
      // loopback name, so that a page whose name was rebound to 127.0.0.1 reads nothing
      Problem.send(
          req.response(),
          421,
          "Misdirected Request",
          "without an admin token, the admin API answers only requests whose Host is "
              + "localhost, a loopback address or a name in admin.allowedHosts",
          rid,
          req.path());
      return null;
    }
    return Role.LOOPBACK;
  }

  /**
   * Whether an admitted request may write; when not, it has been answered (403). admin.token may;
   * admin.readToken may not; without any token, only a loopback peer of a loopback listener.
   */
  boolean mayWrite(Role role, HttpServerRequest req, String rid) {
    String why =
        switch (role) {
          case ADMIN -> null;
          case READ -> "admin.readToken may only read; writes need admin.token";
          case LOOPBACK ->
              loopbackListener && loopbackPeer(req)
                  ? null
                  : "without admin.token, only a loopback listener accepts writes, from loopback";
        };
    if (why == null) return true;
    Problem.send(req.response(), 403, "Forbidden", why, rid, req.path());
    return false;
  }

  private static boolean loopbackPeer(HttpServerRequest req) {
    var peer = req.remoteAddress();
    return peer != null && peer.hostAddress() != null && loopback(hostName(peer.hostAddress()));
  }

  /** The Authorization header as bytes, empty when there is none. */
  static byte[] given(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    return auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Whether the request names a loopback host (localhost, 127.0.0.0/8, [::1]) or one of
   * admin.allowedHosts: both the Host header and the authority (an absolute-form target's) must,
   * and a request with neither is refused.
   */
  private boolean hostAllowed(HttpServerRequest req) {
    List<String> hosts = req.headers().getAll("Host");
    HostAndPort authority = req.authority();
    if (hosts.isEmpty() && authority == null) return false;
    for (String h : hosts) if (!hostAllowed(withoutPort(h))) return false;
    String uri = req.uri();
    int scheme = uri.indexOf("://");
    if (scheme > 0 && !uri.startsWith("/")) {
      // absolute form: its authority is the host asked for, whatever Host says
      int end = uri.indexOf('/', scheme + 3);
      String auth = uri.substring(scheme + 3, end < 0 ? uri.length() : end);
      if (!hostAllowed(withoutPort(auth.substring(auth.lastIndexOf('@') + 1)))) return false;
    }
    return authority == null || hostAllowed(authority.host());
  }

  boolean hostAllowed(String host) {
    String h = hostName(host);
    return loopback(h) || allowedHosts.contains(h);
  }

  /** Lower case, brackets and one trailing dot removed. */
  static String hostName(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
    return h;
  }

  /** localhost, an IPv4 literal in 127.0.0.0/8, or ::1 (already through {@link #hostName}). */
  static boolean loopback(String h) {
    if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) return true;
    return h.startsWith("127.") && NetUtil.isValidIpV4Address(h);
  }

  /** A Host header's host part: "[::1]:9901" -> "[::1]", "localhost:9901" -> "localhost". */
  static String withoutPort(String hostHeader) {
    String h = hostHeader.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }
}
