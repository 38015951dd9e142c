package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import java.util.List;

/** Checks of the server (listener, limits, TLS, header lists) and admin sections. */
final class ServerValidator {
  static final int MIN_ADMIN_TOKEN = 32;

  private final ConfigErrors err;
  private final PemChecks pem;

  ServerValidator(ConfigErrors err) {
    this.err = err;
    this.pem = new PemChecks(err);
  }

  void server(ServerConfig s) {
    err.hostPort(s.listen(), "server.listen");
    for (int i = 0; i < s.trustedProxies().size(); i++) {
      try {
        Cidr.parse(s.trustedProxies().get(i));
      } catch (IllegalArgumentException e) {
        err.error("server.trustedProxies[" + i + "]", e.getMessage());
      }
    }
    if (s.limits() != null) {
      err.check(
          s.limits().maxHeaderBytes() == null || s.limits().maxHeaderBytes().bytes() >= 1024,
          "server.limits.maxHeaderBytes",
          "must be at least 1KiB");
      err.positive(s.limits().requestHeaderTimeout(), "server.limits.requestHeaderTimeout");
      err.positive(s.limits().bodyReadTimeout(), "server.limits.bodyReadTimeout");
      err.positive(s.limits().idleTimeout(), "server.limits.idleTimeout");
    }
    if (s.tls() != null) tls(s.tls(), "server.tls");
    err.check(
        s.reloadSettle() == null
            || s.reloadSettle().compareTo(java.time.Duration.ofMinutes(1)) <= 0,
        "server.reloadSettle",
        "must be at most 1m");
    err.check(
        s.warmup() == null
            || (!s.warmup().isNegative()
                && s.warmup().compareTo(java.time.Duration.ofMinutes(1)) <= 0),
        "server.warmup",
        "must be between 0s and 1m");
    headerNames(s.stripHeaders(), "server.stripHeaders");
    headerNames(s.proxyOnlyHeaders(), "server.proxyOnlyHeaders");
  }

  private void headerNames(List<String> names, String p) {
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      err.check(
          n != null && Syntax.TOKEN.matcher(n).matches(),
          p + "[" + i + "]",
          "'" + n + "' is not a header name");
    }
  }

  private void tls(TlsConfig t, String p) {
    if (t.certificates().isEmpty())
      err.error(p + ".certificates", "at least one certificate is required");
    for (int i = 0; i < t.certificates().size(); i++) {
      CertificateConfig c = t.certificates().get(i);
      String cp = p + ".certificates[" + i + "]";
      if (pem.pemCertificates(c.cert(), cp + ".cert") & pem.pemKey(c.key(), cp + ".key"))
        pem.pair(c.cert(), c.key(), cp + ".key");
    }
    err.named(p + ".minVersion");
    if (t.hsts() != null)
      err.check(t.hsts().maxAge() >= 0, p + ".hsts.maxAge", "must not be negative");
  }

  /**
   * How to set a token, for the error messages: nothing reads the environment unless the config
   * says so.
   */
  static String tokenHint(String field, String env) {
    return "set "
        + field
        + ", or write "
        + field.substring(field.lastIndexOf('.') + 1)
        + ": \"${"
        + env
        + "}\" to take it from the environment variable "
        + env;
  }

  void admin(AdminConfig a) {
    HostPort hp = err.hostPort(a.listen(), "admin.listen");
    boolean remote = hp != null && !hp.loopback();
    if (remote && nz(a.token()).length() < MIN_ADMIN_TOKEN) {
      err.error(
          "admin.token",
          "the admin listener "
              + hp
              + " is not on a loopback address, so a token of at least "
              + MIN_ADMIN_TOKEN
              + " characters is required ("
              + tokenHint("admin.token", "BULWARK_ADMIN_TOKEN")
              + ")");
    }
    String read = nz(a.readToken());
    if (!read.isEmpty()) {
      if (remote && read.length() < MIN_ADMIN_TOKEN) {
        err.error(
            "admin.readToken",
            "the admin listener "
                + hp
                + " is not on a loopback address, so readToken needs at least "
                + MIN_ADMIN_TOKEN
                + " characters ("
                + tokenHint("admin.readToken", "BULWARK_ADMIN_READ_TOKEN")
                + ")");
      }
      err.check(
          !read.equals(a.token()),
          "admin.readToken",
          "must differ from admin.token (a read-only token that equals the full one grants everything)");
      err.check(
          bearerSafe(read),
          "admin.readToken",
          "must be printable ASCII without spaces (it is sent as a bearer token)");
    }
    if (!nz(a.token()).isEmpty())
      err.check(
          bearerSafe(a.token()),
          "admin.token",
          "must be printable ASCII without spaces (it is sent as a bearer token)");
    for (int i = 0; i < a.allowedHosts().size(); i++) {
      String h = nz(a.allowedHosts().get(i));
      boolean ip =
          h.startsWith("[") && h.endsWith("]")
              ? io.netty.util.NetUtil.isValidIpV6Address(h.substring(1, h.length() - 1))
              : io.netty.util.NetUtil.isValidIpV4Address(h)
                  || io.netty.util.NetUtil.isValidIpV6Address(h);
      err.check(
          ip || (Syntax.HOST.matcher(h).matches() && !h.startsWith("*.")),
          "admin.allowedHosts[" + i + "]",
          "'" + h + "' is not a host name or address (no port, no wildcard)");
    }
  }

  /** A bearer token as it can be sent in an Authorization header: visible ASCII, no spaces. */
  static boolean bearerSafe(String t) {
    return t.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }
}
