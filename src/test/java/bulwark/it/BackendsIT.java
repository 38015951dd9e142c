package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Weighted backends and canary rules through a running gateway, to real upstreams. */
class BackendsIT {
  static Upstream v1;
  static Upstream v2;
  static Upstream idle;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    v1 = new Upstream("v1", req -> req.response().end("v1"));
    v2 = new Upstream("v2", req -> req.response().end("v2"));
    idle = new Upstream("idle", req -> req.response().end("idle"));
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
                upstreams:
                  v1: { targets: [ { url: %s } ] }
                  v2: { targets: [ { url: %s } ] }
                  idle: { targets: [ { url: %s } ] }
                routes:
                  - name: split
                    match: { path: /split/** }
                    backends: [ { upstream: v1, weight: 1 }, { upstream: v2, weight: 1 }, { upstream: idle, weight: 0 } ]
                    canary:
                      - { match: { headers: { X-Canary: always } }, upstream: v2 }
                      - { match: { cookies: { canary: "regex:^(1|yes)$" } }, upstream: v2 }
                      - { match: { query: { canary: "1" } }, upstream: v2 }
                """
                    .formatted(v1.url(), v2.url(), idle.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    for (Upstream u : new Upstream[] {v1, v2, idle}) if (u != null) u.close();
  }

  @Test
  void requestsSplitByWeightAndCanaryRulesWin() throws Exception {
    int n = 200;
    int toV2 = 0;
    for (int i = 0; i < n; i++) {
      var r = TestSupport.get(gw.url("/split/" + i));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isIn("v1", "v2");
      if (r.body().equals("v2")) toV2++;
    }
    // 50% of 200: mean 100, sd ~7.1; 3.9 sd is 28
    assertThat(toV2).isBetween(100 - 28, 100 + 28);
    assertThat(idle.seen).as("a weight of 0 gets nothing").isEmpty();
    for (int i = 0; i < 20; i++) {
      assertThat(TestSupport.get(gw.url("/split/c"), "X-Canary", "always").body()).isEqualTo("v2");
      assertThat(TestSupport.get(gw.url("/split/c"), "Cookie", "canary=yes").body())
          .isEqualTo("v2");
      assertThat(TestSupport.get(gw.url("/split/c?canary=1")).body()).isEqualTo("v2");
    }
  }
}
