package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A live scrape of admin /metrics passes {@code promtool check metrics} with no lint problems. */
class PromtoolIT {
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  @Test
  void aLiveScrapePassesPromtool() throws Exception {
    if (!Files.isExecutable(PROMTOOL)) {
      assertThat(System.getenv("CI")).as("promtool is required in CI (" + PROMTOOL + ")").isNotEqualTo("true");
      assumeTrue(false, "promtool not installed at " + PROMTOOL + ": skipped (it is required when CI=true)");
    }
    try (Upstream good = new Upstream("good");
        Upstream bad = new Upstream("bad", req -> req.response().setStatusCode(500).end());
        RunningGateway gw = RunningGateway.start(TestSupport.head() + """
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
            """.formatted(good.url(), bad.url(), TestSupport.freePort()))) {
      for (int i = 0; i < 2; i++) TestSupport.get(gw.url("/ok/" + i));
      for (int i = 0; i < 6; i++) TestSupport.get(gw.url("/bad"));
      TestSupport.get(gw.url("/nowhere"));
      Scrape s = Scrape.of(gw);
      // every kind of family is in the scrape that promtool checks
      assertThat(s.find("bulwark_requests_seconds_bucket")).isNotEmpty();
      assertThat(s.find("bulwark_upstream_errors_total")).isNotEmpty();
      assertThat(s.find("bulwark_circuit_breaker_state")).isNotEmpty();
      assertThat(s.find("bulwark_ratelimit_requests_total", "result", "rejected")).isNotEmpty();

      Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
        try {
          return p.getInputStream().readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      try (OutputStream in = p.getOutputStream()) {
        in.write(s.text.getBytes(StandardCharsets.UTF_8));
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
      String said = new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
      assertThat(said).as("promtool lint output").isEmpty();
      assertThat(p.exitValue()).as(said).isZero();
    }
  }
}
