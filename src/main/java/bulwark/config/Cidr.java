package bulwark.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network, written {@code 10.0.0.0/8}, {@code ::1/128} or a bare address. */
public record Cidr(byte[] network, int prefix) {
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    // IPv4 only as a dotted quad: InetAddress would take 127.1 or 10.1.2 as addresses, and a
    // hex-letter name such as "cafe" to a DNS lookup
    if (!addr.matches("[0-9a-fA-F:.]+")
        || (!addr.contains(":") && !addr.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR");
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR");
    }
    // ::ffff:a.b.c.d comes back as the 4-byte IPv4 address; its prefix still counts 128 bits
    int mapped = bytes.length == 4 && addr.contains(":") ? 96 : 0;
    int max = bytes.length * 8 + mapped;
    int prefix = max;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("\\d{1,3}"))
        throw new IllegalArgumentException("'" + text + "' has a bad prefix length");
      prefix = Integer.parseInt(p);
      if (prefix > max)
        throw new IllegalArgumentException("'" + text + "' has a prefix longer than " + max);
      if (prefix < mapped)
        throw new IllegalArgumentException(
            "'" + text + "' is an IPv4-mapped address and needs a prefix of at least " + mapped);
    }
    return new Cidr(bytes, prefix - mapped);
  }

  public boolean contains(byte[] addr) {
    if (addr.length != network.length) {
      // IPv4-mapped IPv6 (::ffff:a.b.c.d) against an IPv4 network
      if (addr.length == 16 && network.length == 4 && isV4Mapped(addr)) {
        byte[] v4 = new byte[4];
        System.arraycopy(addr, 12, v4, 0, 4);
        return contains(v4);
      }
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) if (addr[i] != network[i]) return false;
    int rest = prefix % 8;
    if (rest == 0) return true;
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (addr[full] & mask) == (network[full] & mask);
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
    return (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF;
  }
}
