package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.Cidr;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class ForwardingHeadersTest {
  @Test
  void hopByHopCheckAgreesWithTheSetInAnyCase() {
    for (String h : ForwardingHeaders.HOP_BY_HOP) {
      assertThat(ForwardingHeaders.hopByHop(h)).as(h).isTrue();
      assertThat(ForwardingHeaders.hopByHop(h.toUpperCase(Locale.ROOT))).as(h).isTrue();
    }
    for (String h : List.of("host", "content-length", "x-forwarded-for", "accept", "tee", "upgrades", "")) {
      assertThat(ForwardingHeaders.hopByHop(h)).as(h).isFalse();
    }
  }

  @Test
  void clientIpIsTheRightmostUntrustedAddress() {
    ForwardingHeaders f = new ForwardingHeaders(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1/128")));
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "6.6.6.6, 1.2.3.4, 10.1.1.1");
    assertThat(f.clientIp("10.0.0.7", h)).isEqualTo("1.2.3.4");
    assertThat(f.clientIp("::1", h)).isEqualTo("1.2.3.4");
    assertThat(f.clientIp("8.8.8.8", h)).isEqualTo("8.8.8.8");
    assertThat(f.clientIp("10.0.0.7", MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "not-an-ip"))).isEqualTo("10.0.0.7");
    assertThat(f.trusted("10.255.0.1")).isTrue();
    assertThat(f.trusted("11.0.0.1")).isFalse();
    assertThat(f.trusted("example.com")).isFalse();
  }

  @Test
  void connectionListsOnlyTheNamesThatAreNotHopByHopAlready() {
    assertThat(ForwardingHeaders.connectionNamed(MultiMap.caseInsensitiveMultiMap())).isNull();
    assertThat(ForwardingHeaders.connectionNamed(MultiMap.caseInsensitiveMultiMap().add("Connection", "keep-alive"))).isNull();
    assertThat(ForwardingHeaders.connectionNamed(MultiMap.caseInsensitiveMultiMap().add("Connection", "Keep-Alive, Upgrade, TE"))).isNull();
    assertThat(ForwardingHeaders.connectionNamed(MultiMap.caseInsensitiveMultiMap()
        .add("Connection", "keep-alive").add("Connection", " X-Forwarded-For ,close,,X-Secret")))
        .containsExactlyInAnyOrder("x-forwarded-for", "close", "x-secret");
  }

  @Test
  void responseHeadersLoseHopByHopAndConnectionNamedOnesOnly() {
    MultiMap from = MultiMap.caseInsensitiveMultiMap()
        .add("Content-Type", "application/json")
        .add("Connection", "keep-alive")
        .add("Keep-Alive", "timeout=5")
        .add("Set-Cookie", "a=1")
        .add("Set-Cookie", "b=2");
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    ForwardingHeaders.copyResponseHeaders(from, to);
    assertThat(to.names()).containsExactlyInAnyOrder("Content-Type", "Set-Cookie");
    assertThat(to.getAll("Set-Cookie")).containsExactly("a=1", "b=2");

    from.set("Connection", "X-Internal, keep-alive").add("x-internal", "secret").add("X-Kept", "yes");
    to = MultiMap.caseInsensitiveMultiMap();
    ForwardingHeaders.copyResponseHeaders(from, to);
    assertThat(to.contains("X-Internal")).isFalse();
    assertThat(to.get("X-Kept")).isEqualTo("yes");
    assertThat(to.contains("Connection")).isFalse();
  }
}
