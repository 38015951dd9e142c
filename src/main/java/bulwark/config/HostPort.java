package bulwark.config;

/** A listen address, written {@code host:port} or {@code [v6]:port}. */
public record HostPort(String host, int port) {
  public static HostPort parse(String text) {
    String t = text.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1)
      throw new IllegalArgumentException("'" + text + "' is not host:port");
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    String p = t.substring(colon + 1);
    if (!p.matches("\\d{1,5}") || Integer.parseInt(p) > 65535)
      throw new IllegalArgumentException("'" + text + "' has a bad port");
    return new HostPort(host, Integer.parseInt(p));
  }

  public boolean loopback() {
    // 127.x only as an IPv4 literal: a host name such as 127.example.com may resolve anywhere
    return host.equals("localhost") || host.matches("127(\\.\\d{1,3}){3}") || host.equals("::1");
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
