package bulwark.config;

import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** routes[].mirror: binding, defaults, and every bad input with its path. */
class MirrorConfigTest {
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
  void theContractsMirrorBindsAsWritten() throws Exception {
    BulwarkConfig cfg =
        load(
            UPSTREAMS
                + """
                    upstream: checkout-v1
                    mirror: { upstream: checkout-shadow, percent: 10%, maxBody: 1MiB }
                """);
    MirrorConfig m = cfg.routes().get(0).mirror();
    assertThat(m)
        .isEqualTo(
            new MirrorConfig("checkout-shadow", new Percent(10), new ByteSize(1 << 20), 100));
  }

  @Test
  void defaultsCopyEveryRequestUpTo1MiBWith100InFlight() throws Exception {
    BulwarkConfig cfg =
        load(
            UPSTREAMS
                + """
                    upstream: checkout-v1
                    mirror: { upstream: checkout-shadow }
                """);
    assertThat(cfg.routes().get(0).mirror())
        .isEqualTo(
            new MirrorConfig("checkout-shadow", new Percent(100), new ByteSize(1 << 20), 100));
    assertThat(load(UPSTREAMS + "    upstream: checkout-v1\n").routes().get(0).mirror())
        .as("absent: no mirror")
        .isNull();
  }

  @Test
  void anUnknownMirrorUpstreamIsAnErrorWithASuggestion() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { upstream: checkout-shadw }
                    """))
        .containsExactly(
            "routes[0].mirror.upstream: unknown upstream 'checkout-shadw' (did you mean 'checkout-shadow'?)");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { percent: 5% }
                    """))
        .containsExactly("routes[0].mirror.upstream: required");
  }

  @Test
  void aMirrorThatServesTheRouteIsAnError() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { upstream: checkout-v1 }
                    """))
        .containsExactly(
            "routes[0].mirror.upstream: upstream 'checkout-v1' serves this route (its upstream, a backend or a canary rule's): a mirror must be another upstream");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        backends: [ { upstream: checkout-v1, weight: 9 }, { upstream: checkout-v2, weight: 1 } ]
                        mirror: { upstream: checkout-v2 }
                    """))
        .containsExactly(
            "routes[0].mirror.upstream: upstream 'checkout-v2' serves this route (its upstream, a backend or a canary rule's): a mirror must be another upstream");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        canary: [ { match: { headers: { X-Canary: "1" } }, upstream: checkout-shadow } ]
                        mirror: { upstream: checkout-shadow }
                    """))
        .containsExactly(
            "routes[0].mirror.upstream: upstream 'checkout-shadow' serves this route (its upstream, a backend or a canary rule's): a mirror must be another upstream");
  }

  @Test
  void badPercentMaxBodyAndMaxInFlightAreErrorsWithTheirPaths() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { upstream: checkout-shadow, percent: 150%, maxBody: -1, maxInFlight: 0 }
                    """))
        .containsExactly(
            "routes[0].mirror.percent: '150%' is over 100%",
            "routes[0].mirror.maxBody: '-1' is not a size (use 512, 16KiB, 10MiB or 1GiB)",
            "routes[0].mirror.maxInFlight: 0 must be 1 or more");
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { upstream: checkout-shadow, percent: 10, maxBody: 1MB, maxInFlight: -3, extra: 1 }
                    """))
        .containsExactly(
            "routes[0].mirror.extra: unknown key 'extra' (known: upstream, percent, maxBody, maxInFlight)",
            "routes[0].mirror.percent: '10' is not a percent (use 50%)",
            "routes[0].mirror.maxBody: '1MB' is not a size (use 512, 16KiB, 10MiB or 1GiB)",
            "routes[0].mirror.maxInFlight: -3 must be 1 or more");
  }

  @Test
  void everyErrorOfSeveralRoutesIsReportedAtOnce() {
    assertThat(
            errors(
                UPSTREAMS
                    + """
                        upstream: checkout-v1
                        mirror: { upstream: nowhere }
                      - name: two
                        match: { path: /two/** }
                        upstream: checkout-v2
                        mirror: { upstream: checkout-v2, percent: 101% }
                    """))
        .containsExactly(
            // binding errors come first, then the checks
            "routes[1].mirror.percent: '101%' is over 100%",
            "routes[0].mirror.upstream: unknown upstream 'nowhere' (known: checkout-v1, checkout-v2, checkout-shadow)",
            "routes[1].mirror.upstream: upstream 'checkout-v2' serves this route (its upstream, a backend or a canary rule's): a mirror must be another upstream");
  }
}
