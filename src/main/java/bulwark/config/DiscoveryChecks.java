package bulwark.config;

import java.util.regex.Pattern;

/** Checks of an upstream's discovery section. */
final class DiscoveryChecks {
  /** A DNS name, whose labels may start with an underscore (SRV: _http._tcp.name). */
  private static final Pattern NAME =
      Pattern.compile(
          "_?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\._?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** An IPv6 literal: at least two colons. */
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*");

  private DiscoveryChecks() {}

  static void check(ConfigErrors err, String p, DiscoveryConfig d) {
    if ((d.dns() == null) == (d.srv() == null)) {
      err.error(p, "needs exactly one of dns (host:port, for A/AAAA) and srv (an SRV name)");
    }
    if (d.dns() != null) {
      try {
        HostPort hp = HostPort.parse(d.dns());
        if (hp.port() < 1) err.error(p + ".dns", "'" + d.dns() + "' has a bad port");
        else if (!NAME.matcher(hp.host()).matches() || IPV4.matcher(hp.host()).matches())
          err.error(p + ".dns", "'" + hp.host() + "' is not a DNS name");
      } catch (IllegalArgumentException e) {
        err.error(p + ".dns", "'" + d.dns() + "' is not host:port (e.g. payments.svc:8080)");
      }
    }
    if (d.srv() != null && !NAME.matcher(d.srv()).matches()) {
      err.error(p + ".srv", "'" + d.srv() + "' is not a DNS name (e.g. _http._tcp.payments.svc)");
    }
    err.positive(d.refresh(), p + ".refresh");
    for (int i = 0; i < d.nameservers().size(); i++) {
      String ns = d.nameservers().get(i);
      String np = p + ".nameservers[" + i + "]";
      try {
        nameserver(ns);
      } catch (IllegalArgumentException e) {
        err.error(np, "'" + ns + "' " + e.getMessage());
      }
    }
  }

  /**
   * A nameserver IP:port, [IPv6]:port or a bare IP (port 53). Throws IllegalArgumentException with
   * what is wrong.
   */
  public static HostPort nameserver(String text) {
    String t = text.trim();
    HostPort hp;
    if (IPV4.matcher(t).matches() || (!t.startsWith("[") && IPV6.matcher(t).matches())) {
      hp = new HostPort(t, 53);
    } else {
      try {
        hp = HostPort.parse(t);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("is not IP:port");
      }
    }
    boolean ip = IPV4.matcher(hp.host()).matches() || IPV6.matcher(hp.host()).matches();
    if (!ip) throw new IllegalArgumentException("must be an IP address, not a name");
    if (hp.port() < 1) throw new IllegalArgumentException("has a bad port");
    return hp;
  }
}
