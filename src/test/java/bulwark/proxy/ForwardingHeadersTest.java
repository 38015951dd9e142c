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
    for (String h :
        List.of("host", "content-length", "x-forwarded-for", "accept", "tee", "upgrades", "")) {
      assertThat(ForwardingHeaders.hopByHop(h)).as(h).isFalse();
    }
  }

  @Test
  void clientIpIsTheRightmostUntrustedAddress() {
    ForwardingHeaders f =
        new ForwardingHeaders(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1/128")));
    MultiMap h =
        MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "6.6.6.6, 1.2.3.4, 10.1.1.1");
    assertThat(f.clientIp("10.0.0.7", h)).isEqualTo("1.2.3.4");
    assertThat(f.clientIp("::1", h)).isEqualTo("1.2.3.4");
    assertThat(f.clientIp("8.8.8.8", h)).isEqualTo("8.8.8.8");
    assertThat(
            f.clientIp(
                "10.0.0.7", MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "not-an-ip")))
        .isEqualTo("10.0.0.7");
    assertThat(f.trusted("10.255.0.1")).isTrue();
    assertThat(f.trusted("11.0.0.1")).isFalse();
    assertThat(f.trusted("example.com")).isFalse();
  }

  @Test
  void connectionListsOnlyTheNamesThatAreNotHopByHopAlready() {
    assertThat(ForwardingHeaders.connectionNamed(MultiMap.caseInsensitiveMultiMap())).isNull();
    assertThat(
            ForwardingHeaders.connectionNamed(
                MultiMap.caseInsensitiveMultiMap().add("Connection", "keep-alive")))
        .isNull();
    assertThat(
            ForwardingHeaders.connectionNamed(
                MultiMap.caseInsensitiveMultiMap().add("Connection", "Keep-Alive, Upgrade, TE")))
        .isNull();
    assertThat(
            ForwardingHeaders.connectionNamed(
                MultiMap.caseInsensitiveMultiMap()
                    .add("Connection", "keep-alive")
                    .add("Connection", " X-Forwarded-For ,close,,X-Secret")))
        .containsExactlyInAnyOrder("x-forwarded-for", "close", "x-secret");
  }

  @Test
  void responseHeadersLoseHopByHopAndConnectionNamedOnesOnly() {
    MultiMap from =
        MultiMap.caseInsensitiveMultiMap()
            .add("Content-Type", "application/json")
            .add("Connection", "keep-alive")
            .add("Keep-Alive", "timeout=5")
            .add("Set-Cookie", "a=1")
            .add("Set-Cookie", "b=2");
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    ForwardingHeaders.copyResponseHeaders(from, to);
    assertThat(to.names()).containsExactlyInAnyOrder("Content-Type", "Set-Cookie");
    assertThat(to.getAll("Set-Cookie")).containsExactly("a=1", "b=2");

    from.set("Connection", "X-Internal, keep-alive")
        .add("x-internal", "secret")
        .add("X-Kept", "yes");
    to = MultiMap.caseInsensitiveMultiMap();
    ForwardingHeaders.copyResponseHeaders(from, to);
    assertThat(to.contains("X-Internal")).isFalse();
    assertThat(to.get("X-Kept")).isEqualTo("yes");
    assertThat(to.contains("Connection")).isFalse();
  }

  @Test
  void headerNameSetsMatchInAnyCaseAndUnderscoreSetsReadUnderscoreAsDash() {
    HeaderNameSet exact = new HeaderNameSet(List.of("X-Original-URL", "CF-Connecting-IP"), false);
    assertThat(exact.contains("x-original-url")).isTrue();
    assertThat(exact.contains("X-ORIGINAL-URL")).isTrue();
    assertThat(exact.contains("cf-connecting-ip")).isTrue();
    assertThat(exact.contains("X_Original_URL")).isFalse();
    assertThat(exact.contains("X-Original-URLs")).isFalse();
    assertThat(exact.contains("")).isFalse();
    HeaderNameSet under = new HeaderNameSet(List.of("X-Forwarded-For", "Transfer-Encoding"), true);
    assertThat(under.contains("X_Forwarded_For")).isTrue();
    assertThat(under.contains("x-forwarded_for")).isTrue();
    assertThat(under.contains("TRANSFER_ENCODING")).isTrue();
    assertThat(under.contains("X_Forwarded_Fox")).isFalse();
    assertThat(new HeaderNameSet(List.of(), true).contains("x")).isFalse();
    // many names: every one is found (collisions probe on)
    List<String> many = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) many.add("X-Name-" + i);
    HeaderNameSet big = new HeaderNameSet(many, true);
    for (String n : many)
      assertThat(big.contains(n.toUpperCase(Locale.ROOT).replace('-', '_'))).as(n).isTrue();
    assertThat(big.contains("X-Name-200")).isFalse();
  }

  @Test
  void theDefaultListsAreTheDocumentedDefaults() throws Exception {
    var cfg =
        new bulwark.config.ConfigLoader(java.util.Map.<String, String>of()::get)
            .parse(
                """
        upstreams: { a: { targets: [ { url: "http://127.0.0.1:1" } ] } }
        routes: [ { name: r, match: { path: /** }, upstream: a } ]
        """);
    assertThat(cfg.server().stripHeaders()).isEqualTo(ForwardingHeaders.DEFAULT_STRIP);
    assertThat(cfg.server().proxyOnlyHeaders()).isEqualTo(ForwardingHeaders.DEFAULT_PROXY_ONLY);
  }

  @Test
  void untrustedPeersLoseOverridesAndGetXRealIpTrustedOnesKeepTheirs() {
    ForwardingHeaders f = new ForwardingHeaders(List.of(Cidr.parse("10.0.0.0/8")));
    for (boolean inPlace : new boolean[] {true, false}) {
      MultiMap in =
          MultiMap.caseInsensitiveMultiMap()
              .add("X-Real-IP", "6.6.6.6")
              .add("True-Client-IP", "6.6.6.6")
              .add("X-Original-URL", "/x")
              .add("X_Forwarded_For", "6.6.6.6")
              .add("Content_Length", "5")
              .add("X_Other", "y");
      MultiMap out = f.upstreamHeaders(in, inPlace, "8.8.8.8", false, "h", "rid", false);
      assertThat(out.names())
          .doesNotContain("True-Client-IP", "X-Original-URL", "X_Forwarded_For", "Content_Length")
          .contains("X_Other");
      assertThat(out.getAll("X-Real-IP")).containsExactly("8.8.8.8");

      in =
          MultiMap.caseInsensitiveMultiMap()
              .add("True-Client-IP", "6.6.6.6")
              .add("X-Original-URL", "/x")
              .add("X-Forwarded-For", "1.2.3.4");
      out = f.upstreamHeaders(in, inPlace, "10.0.0.1", false, "h", "rid", false);
      assertThat(out.get("True-Client-IP")).isEqualTo("6.6.6.6");
      assertThat(out.names()).doesNotContain("X-Original-URL");
      assertThat(out.getAll("X-Real-IP")).containsExactly("1.2.3.4");
    }
  }
}
