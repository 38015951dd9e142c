package bulwark.filter.ip;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.IpRulesConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpRulesFilterTest {
  @Test
  void denyWinsOverAllowForIpv4() {
    IpRulesFilter f =
        new IpRulesFilter(
            new IpRulesConfig(List.of("10.0.0.0/8", "192.0.2.7"), List.of("10.1.0.0/16")));
    assertThat(f.allows("10.2.3.4")).isTrue();
    assertThat(f.allows("192.0.2.7")).isTrue();
    assertThat(f.allows("192.0.2.8")).isFalse();
    assertThat(f.allows("10.1.2.3")).isFalse();
    assertThat(f.allows("11.0.0.1")).isFalse();
  }

  @Test
  void ipv6NetworksAndMappedAddresses() {
    IpRulesFilter f =
        new IpRulesFilter(
            new IpRulesConfig(
                List.of("2001:db8::/32", "::1", "10.0.0.0/8"), List.of("2001:db8:bad::/48")));
    assertThat(f.allows("2001:db8:1::5")).isTrue();
    assertThat(f.allows("2001:0db8:0bad:0:0:0:0:1")).isFalse();
    assertThat(f.allows("2001:db9::1")).isFalse();
    assertThat(f.allows("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(f.allows("::2")).isFalse();
    // an IPv4 client seen through a dual-stack socket is checked against the IPv4 rules
    assertThat(f.allows("::ffff:10.9.9.9")).isTrue();
    assertThat(f.allows("::ffff:11.9.9.9")).isFalse();
  }

  @Test
  void prefixesThatCrossTheHalvesOfAnIpv6Address() {
    IpRulesFilter f =
        new IpRulesFilter(new IpRulesConfig(List.of(), List.of("2001:db8:0:0:8000::/65", "::/0")));
    assertThat(f.allows("2001:db8::1")).isFalse();
    IpRulesFilter g =
        new IpRulesFilter(new IpRulesConfig(List.of("2001:db8:0:0:8000::/65"), List.of()));
    assertThat(g.allows("2001:db8::8000:0:0:1")).isTrue();
    assertThat(g.allows("2001:db8::7fff:0:0:1")).isFalse();
    assertThat(g.allows("10.0.0.1")).isFalse();
  }

  @Test
  void onlyADenyListLetsEverythingElseThrough() {
    IpRulesFilter f =
        new IpRulesFilter(new IpRulesConfig(List.of(), List.of("203.0.113.0/24", "0.0.0.0/32")));
    assertThat(f.allows("203.0.113.9")).isFalse();
    assertThat(f.allows("198.51.100.1")).isTrue();
    assertThat(f.allows("unknown")).isTrue();
    IpRulesFilter all = new IpRulesFilter(new IpRulesConfig(List.of(), List.of("0.0.0.0/0")));
    assertThat(all.allows("255.255.255.255")).isFalse();
    assertThat(all.allows("::1")).isTrue();
  }

  @Test
  void anUnreadableAddressFailsClosedUnderAnAllowList() {
    IpRulesFilter f = new IpRulesFilter(new IpRulesConfig(List.of("0.0.0.0/0", "::/0"), List.of()));
    assertThat(f.allows("unknown")).isFalse();
    assertThat(f.allows("")).isFalse();
    assertThat(f.allows(null)).isFalse();
  }

  @Test
  void theIpv4ParserTakesOnlyDottedQuads() {
    assertThat(IpRulesFilter.parseV4("1.2.3.4")).isEqualTo(0x01020304L);
    assertThat(IpRulesFilter.parseV4("255.255.255.255")).isEqualTo(0xFFFFFFFFL);
    for (String bad :
        new String[] {
          "1.2.3",
          "1.2.3.4.5",
          "256.1.1.1",
          "1..2.3",
          "1.2.3.",
          ".1.2.3",
          "1.2.3.4a",
          "1234.1.1.1",
          "::1"
        }) {
      assertThat(IpRulesFilter.parseV4(bad)).as(bad).isEqualTo(-1);
    }
  }
}
