package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** routes[].backends, canary, stickyOn, failover: binding, and every bad input with its path. */
class BackendsConfigTest {
  private static final String UPSTREAMS =
      """
      upstreams:
        checkout-v1: { targets: [ { url: http://127.0.0.1:8091 } ] }
        checkout-v2: { targets: [ { url: http://127.0.0.1:8092 } ] }
        checkout-shadow: { targets: [ { url: http://127.0.0.1:8093 } ] }
      routes:
        - name: checkout
          match: { path: /api/checkout/** }
      """;

  @Test
  void theContractsCheckoutRouteBindsAsWritten() throws Exception {
    BulwarkConfig cfg =
        load(
            UPSTREAMS
                + """
                    backends:
                      - { upstream: checkout-v1, weight: 95 }
                      - { upstream: checkout-v2, weight: 5 }
                    stickyOn: header:X-User-Id
                    canary:
                      - { match: { headers: { X-Canary: always } }, upstream: checkout-v2 }
                      - { match: { cookies: { canary: "1" } }, upstream: checkout-v2 }
                """);
    RouteConfig r = cfg.routes().get(0);
    assertThat(r.upstream()).isNull();
    assertThat(r.backends())
        .containsExactly(new BackendConfig("checkout-v1", 95), new BackendConfig("checkout-v2", 5));
    assertThat(r.stickyOn()).isEqualTo(new StickyOn(StickyOn.Kind.HEADER, "X-User-Id"));
    assertThat(r.failover()).isTrue();
    assertThat(r.canary()).hasSize(2);
    assertThat(r.canary().get(1).match().cookies()).containsEntry("canary", "1");
  }

  @Test
  void badBackendsAreErrorsWithTheirPaths() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        backends:
                          - { upstream: checkout-v3, weight: 0 }
                          - { upstream: checkout-v2, weight: 0 }
                          - { upstream: checkout-v2, weight: 1001 }
                    """))
        .contains(
            "routes[0].backends: set either upstream or backends, not both",
            "routes[0].backends[0].upstream: unknown upstream 'checkout-v3' (did you mean 'checkout-v1'?)",
            "routes[0].backends[2].upstream: upstream 'checkout-v2' is listed twice",
            "routes[0].backends[2].weight: 1001 is not a weight from 0 to 1000");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        backends: [ { upstream: checkout-v1, weight: 0 } ]
                    """))
        .containsExactly(
            "routes[0].backends: the weights sum to 0: at least one backend needs a weight above 0");
    assertThat(errors(UPSTREAMS))
        .containsExactly(
            "routes[0].upstream: required: set upstream, or backends for a weighted split");
  }

  @Test
  void badCanaryAndStickyOnAreErrorsWithTheirPaths() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        stickyOn: header:X-User-Id
                        canary:
                          - { match: { headers: { X-Canary: "regex:(" } }, upstream: checkout-v2 }
                          - { match: {}, upstream: chekout-v2 }
                    """))
        .containsExactly(
            "routes[0].canary[0].match.headers.X-Canary: bad regex: Unclosed group",
            "routes[0].canary[1].upstream: unknown upstream 'chekout-v2' (did you mean 'checkout-v2'?)",
            "routes[0].canary[1].match: a canary rule needs a header, cookie or query predicate",
            "routes[0].stickyOn: stickyOn needs backends (a route to one upstream has no split)");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        backends: [ { upstream: checkout-v1 } ]
                        stickyOn: path
                    """))
        .containsExactly(
            "routes[0].stickyOn: 'path' must be client_ip, header:NAME or cookie:NAME");
  }
}
