package bulwark.filter.ip;

import bulwark.config.Cidr;
import bulwark.config.IpRulesConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import io.vertx.core.Future;
import java.util.List;

/**
 * The {@code ipRules} middleware: allow and deny lists of networks, applied to {@link
 * Exchange#clientIp} (the real client after trusted proxies, so a spoofed X-Forwarded-For from an
 * untrusted peer has no effect). Deny wins; with an allow list, only listed networks pass. Refused:
 * 403. The networks are pre-parsed into masks; an IPv4 client is checked without allocating.
 */
public final class IpRulesFilter implements Filter {
  private final Rules allow;
  private final Rules deny;

  public IpRulesFilter(IpRulesConfig config) {
    this.allow = Rules.of(config.allow());
    this.deny = Rules.of(config.deny());
  }

  /**
   * Whether {@code ip} (an address as text) passes. An address that cannot be read passes only when
   * there is no allow list.
   */
  public boolean allows(String ip) {
    long v4 = parseV4(ip);
    if (v4 >= 0) return !deny.matchesV4((int) v4) && (allow.empty() || allow.matchesV4((int) v4));
    byte[] b =
        ip == null || ip.isEmpty()
            ? null
            : io.netty.util.NetUtil.createByteArrayFromIpAddressString(ip);
    if (b == null) return allow.empty();
    if (b.length == 4) {
      int a = (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
      return !deny.matchesV4(a) && (allow.empty() || allow.matchesV4(a));
    }
    if (isV4Mapped(b)) {
      int a = (b[12] & 0xFF) << 24 | (b[13] & 0xFF) << 16 | (b[14] & 0xFF) << 8 | (b[15] & 0xFF);
      return !deny.matchesV4(a) && (allow.empty() || allow.matchesV4(a));
    }
    long hi = toLong(b, 0);
    long lo = toLong(b, 8);
    return !deny.matchesV6(hi, lo) && (allow.empty() || allow.matchesV6(hi, lo));
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    if (allows(ex.clientIp())) return next.next(ex);
    ex.reject(
        403, "Forbidden", "requests from " + ex.clientIp() + " are not allowed on this route");
    return Future.succeededFuture();
  }

  /** A dotted-quad IPv4 address as an unsigned int in a long, or -1; allocates nothing. */
  static long parseV4(String s) {
    if (s == null) return -1;
    int n = s.length();
    if (n < 7 || n > 15) return -1;
    long addr = 0;
    int part = 0;
    int digits = 0;
    int dots = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        part = part * 10 + (c - '0');
        if (++digits > 3 || part > 255) return -1;
      } else if (c == '.') {
        if (digits == 0 || ++dots > 3) return -1;
        addr = addr << 8 | part;
        part = 0;
        digits = 0;
      } else {
        return -1;
      }
    }
    if (dots != 3 || digits == 0) return -1;
    return addr << 8 | part;
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
    return (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF;
  }

  private static long toLong(byte[] b, int from) {
    long v = 0;
    for (int i = from; i < from + 8; i++) v = v << 8 | (b[i] & 0xFF);
    return v;
  }

  /** Networks as masks: IPv4 in ints, IPv6 in two longs each. */
  record Rules(
      int[] v4Net, int[] v4Mask, long[] v6Hi, long[] v6Lo, long[] v6MaskHi, long[] v6MaskLo) {
    static Rules of(List<String> cidrs) {
      int n4 = 0;
      int n6 = 0;
      Cidr[] parsed = new Cidr[cidrs.size()];
      for (int i = 0; i < parsed.length; i++) {
        parsed[i] = Cidr.parse(cidrs.get(i));
        if (parsed[i].network().length == 4) n4++;
        else n6++;
      }
      int[] net4 = new int[n4];
      int[] mask4 = new int[n4];
      long[] hi = new long[n6];
      long[] lo = new long[n6];
      long[] mhi = new long[n6];
      long[] mlo = new long[n6];
      int i4 = 0;
      int i6 = 0;
      for (Cidr c : parsed) {
        byte[] b = c.network();
        int p = c.prefix();
        if (b.length == 4) {
          int m = p == 0 ? 0 : -1 << (32 - p);
          int a = (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
          mask4[i4] = m;
          net4[i4++] = a & m;
        } else {
          long mh = p == 0 ? 0 : p >= 64 ? -1L : -1L << (64 - p);
          long ml = p <= 64 ? 0 : p == 128 ? -1L : -1L << (128 - p);
          mhi[i6] = mh;
          mlo[i6] = ml;
          hi[i6] = toLong(b, 0) & mh;
          lo[i6++] = toLong(b, 8) & ml;
        }
      }
      return new Rules(net4, mask4, hi, lo, mhi, mlo);
    }

    boolean empty() {
      return v4Net.length == 0 && v6Hi.length == 0;
    }

    boolean matchesV4(int a) {
      for (int i = 0; i < v4Net.length; i++) if ((a & v4Mask[i]) == v4Net[i]) return true;
      return false;
    }

    boolean matchesV6(long hi, long lo) {
      for (int i = 0; i < v6Hi.length; i++)
        if ((hi & v6MaskHi[i]) == v6Hi[i] && (lo & v6MaskLo[i]) == v6Lo[i]) return true;
      return false;
    }
  }
}
