package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import org.junit.jupiter.api.Test;

/** A live scrape of admin /metrics passes {@code promtool check metrics} with no lint problems. */
class PromtoolIT {
  @Test
  void aLiveScrapePassesPromtool() throws Exception {
    Promtool.binary();
    try (Upstream good = new Upstream("good");
        Upstream bad = new Upstream("bad", req -> req.response().setStatusCode(500).end());
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
            upstreams:
              good: { targets: [ { url: %s } ] }
              bad:
                targets: [ { url: %s }, { url: http://127.0.0.1:%d } ]
                circuitBreaker: { window: 4, minimumCalls: 4, openFor: 1m, scope: route }
                retry: { attempts: 2, on: [connect_failure, 500], backoff: 1ms, budget: 100%% }
            middlewares:
              limit: { rateLimit: { key: route, rate: 1/min } }
            routes:
              - { name: ok, match: { path: /ok/** }, upstream: good, middlewares: [limit] }
              - { name: bad, match: { path: /bad }, upstream: bad }
            """
                        .formatted(good.url(), bad.url(), TestSupport.freePort()))) {
      for (int i = 0; i < 2; i++) TestSupport.get(gw.url("/ok/" + i));
      for (int i = 0; i < 6; i++) TestSupport.get(gw.url("/bad"));
      TestSupport.get(gw.url("/nowhere"));
      Scrape s = Scrape.of(gw);
      // every kind of family is in the scrape that promtool checks
      assertThat(s.find("bulwark_requests_seconds_bucket")).isNotEmpty();
      assertThat(s.find("bulwark_upstream_errors_total")).isNotEmpty();
      assertThat(s.find("bulwark_circuit_breaker_state")).isNotEmpty();
      assertThat(s.find("bulwark_ratelimit_requests_total", "result", "rejected")).isNotEmpty();

      Promtool.Result r = Promtool.run(s.text, "check", "metrics");
      assertThat(r.output()).as("promtool lint output").isEmpty();
      assertThat(r.exit()).as(r.output()).isZero();
    }
  }
}
