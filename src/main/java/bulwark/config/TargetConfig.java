package bulwark.config;

import java.net.URI;

public record TargetConfig(
    @Doc(
            value = "Base URL of the target: http://host:port or https://host:port, no path.",
            required = true)
        String url,
    @Doc(
            value =
                "Relative share of traffic (round_robin, random, least_request, consistent_hash).",
            dflt = "1")
        int weight) {

  /**
   * The address "host:port" a target is known by (admin /upstreams, remediation): the URL's host
   * (an IPv6 address in brackets) and its port, 80 or 443 by scheme when absent. Throws on a bad
   * URL.
   */
  public static String address(String url) {
    URI u = URI.create(url);
    int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    String host =
        u.getHost().startsWith("[")
            ? u.getHost().substring(1, u.getHost().length() - 1)
            : u.getHost();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * How an ejectTarget action names a target, its address "host:port" or its URL, as an address.
   */
  public static String addressOf(String spec) {
    try {
      return spec.contains("://") ? address(spec) : spec;
    } catch (RuntimeException e) {
      return spec;
    }
  }

  /** The target of {@code u} that {@code spec} (an address or a URL) names, or null. */
  public static TargetConfig find(UpstreamConfig u, String spec) {
    String key = addressOf(spec);
    for (TargetConfig t : u.targets()) {
      try {
        if (address(t.url()).equals(key)) return t;
      } catch (RuntimeException e) {
        // a bad url is reported by its own check
      }
    }
    return null;
  }
}
