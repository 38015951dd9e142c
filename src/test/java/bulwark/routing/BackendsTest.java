package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigLoader;
import bulwark.config.UpstreamConfig;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.TargetStates;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The route's backend selectors: weighted split, sticky keys (consistent), canary, failover. */
class BackendsTest {
  private static final UpstreamRuntime A = upstream("stable");
  private static final UpstreamRuntime B = upstream("canary");

  static UpstreamRuntime upstream(String name) {
    try {
      UpstreamConfig c =
          new ConfigLoader(k -> null)
              .parse(
                  """
                  upstreams:
                    u: { targets: [ { url: "http://127.0.0.1:1" } ] }
                  routes:
                    - { name: r, match: { path: /** }, upstream: u }
                  """)
              .upstreams()
              .get("u");
      return new UpstreamRuntime(name, c, new TargetStates());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A request with these headers (the sticky key, canary headers) and nothing else. */
  record Req(Map<String, String> headers, Map<String, String> cookies, String rawQuery)
      implements HashOn.Source {
    static Req header(String name, String value) {
      return new Req(Map.of(name, value), Map.of(), null);
    }

    @Override
    public String clientIp() {
      return "127.0.0.1";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public String header(String name) {
      return headers.get(name);
    }

    @Override
    public String cookie(String name) {
      return cookies.get(name);
    }
  }

  /** Half-width of a binomial's 99.9% two-sided interval (normal approximation, z = 3.29). */
  static double bound(int n, double p) {
    return 3.29 * Math.sqrt(n * p * (1 - p));
  }

  static List<Backends.Weighted> split(int a, int b) {
    return List.of(new Backends.Weighted(A, a), new Backends.Weighted(B, b));
  }

  @Test
  void aWeightedSplitLandsWithinTheBinomialBound() {
    Backends w = new WeightedBackends(split(95, 5), true);
    int n = 4000;
    int toB = 0;
    for (int i = 0; i < n; i++) if (w.select(Req.header("x", "y")) == B) toB++;
    assertThat((double) toB)
        .isCloseTo(n * 0.05, org.assertj.core.data.Offset.offset(bound(n, 0.05)));
  }

  @Test
  void stickyKeysMoveOnlyTowardsTheGrownBackendAndOnlyAsManyAsMust() {
    HashOn key = HashOn.parse("header:X-User-Id");
    Backends before = new StickyBackends(split(95, 5), key, true);
    Backends after = new StickyBackends(split(80, 20), key, true);
    Map<String, UpstreamRuntime> first = new HashMap<>();
    int keys = 1000;
    int onB = 0;
    int moved = 0;
    for (int i = 0; i < keys; i++) {
      Req r = Req.header("X-User-Id", "user-" + i);
      UpstreamRuntime u = before.select(r);
      // the same key keeps its backend while the weights hold
      assertThat(before.select(r)).isSameAs(u);
      first.put("user-" + i, u);
      if (u == B) onB++;
      UpstreamRuntime v = after.select(r);
      if (v != u) {
        assertThat(u).as("a key moves only from the shrinking backend").isSameAs(A);
        assertThat(v).isSameAs(B);
        moved++;
      }
      // back to 95/5: every key is where it was (nothing moves back and forth)
      assertThat(new StickyBackends(split(95, 5), key, true).select(r)).isSameAs(u);
    }
    assertThat((double) onB)
        .isCloseTo(keys * 0.05, org.assertj.core.data.Offset.offset(bound(keys, 0.05)));
    assertThat((double) moved)
        .isCloseTo(keys * 0.15, org.assertj.core.data.Offset.offset(bound(keys, 0.15)));
  }

  @Test
  void aWeightOfZeroIsIdleAndFailoverGoesToTheNextBackendOnce() {
    Backends w = new WeightedBackends(split(1, 0), true);
    for (int i = 0; i < 100; i++) assertThat(w.select(Req.header("a", "b"))).isSameAs(A);
    Backends ab = new WeightedBackends(split(10, 1), true);
    List<UpstreamRuntime> tried = new ArrayList<>(List.of(B));
    assertThat(ab.failover(Req.header("a", "b"), tried)).isSameAs(A);
    tried.add(A);
    assertThat(ab.failover(Req.header("a", "b"), tried)).isNull();
    assertThat(new WeightedBackends(split(10, 1), false).failover(Req.header("a", "b"), List.of(B)))
        .isNull();
    Backends sticky = new StickyBackends(split(1, 1), HashOn.parse("header:k"), true);
    Req r = Req.header("k", "key-1");
    UpstreamRuntime chosen = sticky.select(r);
    assertThat(sticky.failover(r, List.of(chosen))).isNotSameAs(chosen).isNotNull();
  }

  @Test
  void canaryRulesMatchHeadersCookiesAndQueryBeforeTheWeights() {
    Backends rules =
        new CanaryBackends(
            List.of(
                new CanaryBackends.Rule(
                    List.of(ValueMatcher.of("X-Canary", "always")), List.of(), List.of(), B),
                new CanaryBackends.Rule(
                    List.of(), List.of(ValueMatcher.of("canary", "regex:1|yes")), List.of(), B),
                new CanaryBackends.Rule(
                    List.of(), List.of(), List.of(ValueMatcher.of("v", "2")), B)),
            new WeightedBackends(split(1, 0), true));
    assertThat(rules.select(Req.header("X-Canary", "always"))).isSameAs(B);
    assertThat(rules.select(Req.header("X-Canary", "never"))).isSameAs(A);
    assertThat(rules.select(new Req(Map.of(), Map.of("canary", "yes"), null))).isSameAs(B);
    assertThat(rules.select(new Req(Map.of(), Map.of("canary", "no"), null))).isSameAs(A);
    assertThat(rules.select(new Req(Map.of(), Map.of(), "a=1&v=2"))).isSameAs(B);
    assertThat(rules.select(new Req(Map.of(), Map.of(), "v=3"))).isSameAs(A);
    // the canary upstream without a target falls over to the split
    assertThat(rules.failover(Req.header("X-Canary", "always"), List.of(B))).isSameAs(A);
  }
}
