package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  /** The bytes of an address literal (no name lookup: only literals are passed). */
  private static byte[] ip(String literal) {
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * ::ffff:a.b.c.d as the 16 bytes a dual-stack socket reports (InetAddress would shorten it to 4).
   */
  private static byte[] v4Mapped(String v4) {
    byte[] out = new byte[16];
    out[10] = (byte) 0xff;
    out[11] = (byte) 0xff;
    System.arraycopy(ip(v4), 0, out, 12, 4);
    return out;
  }

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "10.0.0.0/8,       10.0.0.0,        true",
    "10.0.0.0/8,       10.255.1.2,      true",
    "10.0.0.0/8,       11.0.0.1,        false",
    "10.0.0.0/8,       9.255.255.255,   false",
    "192.168.0.0/23,   192.168.1.255,   true",
    "192.168.0.0/23,   192.168.2.0,     false",
    "172.16.0.0/12,    172.31.255.255,  true",
    "172.16.0.0/12,    172.32.0.0,      false",
    "127.0.0.1,        127.0.0.1,       true",
    "127.0.0.1,        127.0.0.2,       false",
    "127.0.0.1/32,     127.0.0.1,       true",
    "0.0.0.0/0,        203.0.113.9,     true",
    "10.0.0.0/8,       ::1,             false",
  })
  void ipv4NetworksContainTheirAddressesOnly(String cidr, String addr, boolean contained) {
    assertThat(Cidr.parse(cidr).contains(ip(addr))).isEqualTo(contained);
  }

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "::1,              ::1,             true",
    "::1/128,          ::2,             false",
    "fe80::/10,        fe80::1,         true",
    "fe80::/10,        febf:ffff::1,    true",
    "fe80::/10,        fec0::1,         false",
    "2001:db8::/32,    2001:db8:1::7,   true",
    "2001:db8::/32,    2001:db9::7,     false",
    "::/0,             2001:db8::1,     true",
    "::/0,             10.0.0.1,        false",
  })
  void ipv6NetworksContainTheirAddressesOnly(String cidr, String addr, boolean contained) {
    assertThat(Cidr.parse(cidr).contains(ip(addr))).isEqualTo(contained);
  }

  @Test
  void anIpv4NetworkContainsTheV4MappedFormOfItsAddresses() {
    Cidr net = Cidr.parse("10.0.0.0/8");
    assertThat(net.contains(v4Mapped("10.1.2.3"))).isTrue();
    assertThat(net.contains(v4Mapped("11.1.2.3"))).isFalse();
    // 16 bytes that only end like 10.x are not a mapped address
    byte[] notMapped = v4Mapped("10.1.2.3");
    notMapped[10] = 0;
    assertThat(net.contains(notMapped)).isFalse();
  }

  @Test
  void aV4MappedNetworkIsTheIpv4NetworkWithItsPrefixCountedIn128Bits() {
    Cidr one = Cidr.parse("::ffff:10.1.2.3");
    assertThat(one.network()).containsExactly(10, 1, 2, 3);
    assertThat(one.prefix()).isEqualTo(32);

    Cidr net = Cidr.parse("::ffff:10.0.0.0/104");
    assertThat(net.prefix()).isEqualTo(8);
    assertThat(net.contains(ip("10.9.9.9"))).isTrue();
    assertThat(net.contains(v4Mapped("10.9.9.9"))).isTrue();
    assertThat(net.contains(ip("11.0.0.1"))).isFalse();

    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/64"))
        .withMessage(
            "'::ffff:10.0.0.0/64' is an IPv4-mapped address and needs a prefix of at least 96");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.com",
        "cafe",
        "dead",
        "127.1",
        "10.1.2",
        "1",
        "10.1/16",
        "1.2.3.4.5",
        "256.0.0.1",
        "1:2",
        "",
        "10.0.0.0 /8"
      })
  void onlyAddressLiteralsAreAccepted(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse(text))
        .withMessage("'" + text + "' is not an IP address or CIDR");
  }

  @Test
  void badPrefixesAreRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse("10.0.0.0/33"))
        .withMessage("'10.0.0.0/33' has a prefix longer than 32");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse("::/129"))
        .withMessage("'::/129' has a prefix longer than 128");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse("10.0.0.0/x"))
        .withMessage("'10.0.0.0/x' has a bad prefix length");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Cidr.parse("10.0.0.0/"))
        .withMessage("'10.0.0.0/' has a bad prefix length");
  }

  @Test
  void aBadTrustedProxyIsAConfigErrorWithItsIndex() {
    assertThat(
            ConfigTesting.errors(
                "server:\n  trustedProxies: [\"10.0.0.0/8\", \"proxy.internal\"]\n"))
        .containsExactly("server.trustedProxies[1]: 'proxy.internal' is not an IP address or CIDR");
  }
}
