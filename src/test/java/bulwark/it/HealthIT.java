package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Active and passive health checks, the score and panic mode, against real loopback upstreams. */
class HealthIT {
  private static final Duration WAIT = Duration.ofSeconds(15);

  /**
   * An upstream whose /health answers the status and body set by the test; other paths echo its
   * name.
   */
  static final class App implements AutoCloseable {
    final AtomicInteger healthStatus = new AtomicInteger(200);
    final AtomicReference<String> healthBody = new AtomicReference<>("{\"status\":\"UP\"}");
    final AtomicInteger appStatus = new AtomicInteger(200);
    final AtomicInteger served = new AtomicInteger();
    final Upstream up;

    App(String name) {
      up =
          new Upstream(
              name,
              req -> {
                if (req.path().equals("/health")) {
                  req.response()
                      .setStatusCode(healthStatus.get())
                      .putHeader("Content-Type", "application/json")
                      .end(healthBody.get());
                } else {
                  served.incrementAndGet();
                  req.response()
                      .setStatusCode(appStatus.get())
                      .putHeader("Content-Type", "application/json")
                      .end("{\"upstream\":\"" + name + "\"}");
                }
              });
    }

    String url() {
      return up.url();
    }

    String key() {
      return "127.0.0.1:" + up.port;
    }

    @Override
    public void close() {
      up.close();
    }
  }

  private static JsonObject upstreams(RunningGateway gw) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl("/upstreams"));
    assertThat(r.statusCode()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonObject("upstreams");
  }

  private static JsonObject target(RunningGateway gw, String upstream, String key)
      throws Exception {
    JsonArray ts = upstreams(gw).getJsonObject(upstream).getJsonArray("targets");
    for (int i = 0; i < ts.size(); i++) {
      if (ts.getJsonObject(i).getString("target").equals(key)) {
        return ts.getJsonObject(i);
      }
    }
    throw new AssertionError("no target " + key + " in " + ts.encode());
  }

  private static String state(RunningGateway gw, String upstream, String key) throws Exception {
    return target(gw, upstream, key).getString("state");
  }

  /** Sends n requests and counts them by the upstream that answered (or by status when not 200). */
  private static Map<String, Integer> spread(RunningGateway gw, String path, int n)
      throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = TestSupport.get(gw.url(path));
      String who =
          r.statusCode() == 200
              ? new JsonObject(r.body()).getString("upstream")
              : String.valueOf(r.statusCode());
      counts.merge(who, 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void aTargetWhoseHealthFailsGoesDownGetsNoTrafficAndComesBackAfterHealthyThresholdPasses()
      throws Exception {
    try (App a = new App("a");
        App b = new App("b");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck:
              active: { path: /health, host: "health.internal", interval: 100ms, timeout: 100ms, healthyThreshold: 2, unhealthyThreshold: 2 }
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
                        .formatted(a.url(), b.url()))) {
      await()
          .atMost(WAIT)
          .until(
              () -> state(gw, "u", a.key()).equals("UP") && state(gw, "u", b.key()).equals("UP"));
      assertThat(
              a.up.seen.stream()
                  .filter(s -> s.uri().equals("/health"))
                  .findFirst()
                  .orElseThrow()
                  .headers()
                  .get("Host"))
          .isEqualTo("health.internal");

      a.healthStatus.set(503);
      await().atMost(WAIT).until(() -> state(gw, "u", a.key()).equals("DOWN"));
      JsonObject down = target(gw, "u", a.key());
      assertThat(down.getBoolean("available")).isFalse();
      assertThat(down.getString("lastCheck")).isEqualTo("503");
      int servedBefore = a.served.get();

      assertThat(spread(gw, "/x", 20)).containsOnly(Map.entry("b", 20));
      assertThat(a.served.get()).isEqualTo(servedBefore);

      a.healthStatus.set(200);
      await().atMost(WAIT).until(() -> state(gw, "u", a.key()).equals("UP"));
      assertThat(spread(gw, "/x", 20)).containsEntry("a", 10).containsEntry("b", 10);
    }
  }

  @Test
  void aTcpCheckMarksAClosedPortDown() throws Exception {
    int closed = TestSupport.freePort();
    try (App a = new App("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: "http://127.0.0.1:%d" } ]
            healthCheck:
              active: { type: tcp, interval: 50ms, timeout: 50ms, healthyThreshold: 1, unhealthyThreshold: 2 }
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
                        .formatted(a.url(), closed))) {
      String closedKey = "127.0.0.1:" + closed;
      await()
          .atMost(WAIT)
          .until(
              () ->
                  state(gw, "u", closedKey).equals("DOWN") && state(gw, "u", a.key()).equals("UP"));
      JsonObject t = target(gw, "u", closedKey);
      assertThat(t.getInteger("score"))
          .isEqualTo(30); // 0 × network + 0 × health + resources and dependencies unknown
      assertThat(t.getBoolean("available")).isFalse();
      assertThat(target(gw, "u", a.key()).getInteger("score")).isEqualTo(100);
      // only connections: the TCP check sends no HTTP request
      assertThat(a.up.seen).isEmpty();

      assertThat(spread(gw, "/x", 10)).containsOnly(Map.entry("a", 10));
    }
  }

  @Test
  void aTargetAnswering500IsEjectedAndTheOthersServe() throws Exception {
    try (App a = new App("a");
        App b = new App("b");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck:
              passive: { consecutiveFailures: 3, ejectFor: 1m, maxEjectedPercent: 50%% }
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
                        .formatted(a.url(), b.url()))) {
      a.appStatus.set(500);
      int sent = 0;
      while (!target(gw, "u", a.key()).getBoolean("ejected") && sent < 50) {
        TestSupport.get(gw.url("/x"));
        sent++;
      }
      JsonObject t = target(gw, "u", a.key());
      assertThat(t.getBoolean("ejected")).isTrue();
      assertThat(t.getInteger("ejections")).isEqualTo(1);
      assertThat(t.getString("ejectedUntil")).isNotNull();
      assertThat(t.getBoolean("available")).isFalse();
      assertThat(t.getString("state")).isEqualTo("UNKNOWN"); // no active checks
      assertThat(a.served.get()).isEqualTo(3);
      JsonObject u = upstreams(gw).getJsonObject("u");
      assertThat(u.getInteger("usableTargets")).isEqualTo(1);
      assertThat(u.getJsonObject("healthCheck").getBoolean("passive")).isTrue();
      assertThat(u.containsKey("overload")).as("resilience info is merged in: %s", u).isTrue();

      assertThat(spread(gw, "/x", 20)).containsOnly(Map.entry("b", 20));
      assertThat(a.served.get()).isEqualTo(3);
    }
  }

  @Test
  void theScoreComesFromTheHealthJsonAndShowsOnUpstreamsAndReadiness() throws Exception {
    try (App a = new App("a");
        App b = new App("b");
        App c = new App("c");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s }, { url: %s } ]
            healthCheck:
              active: { interval: 200ms, timeout: 200ms, healthyThreshold: 1, unhealthyThreshold: 3 }
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
                        .formatted(a.url(), b.url(), c.url()))) {
      a.healthBody.set("{\"status\":\"UP\",\"cpu\":0.95,\"memory\":0.2}");
      b.healthBody.set("{\"dependencies\":{\"db\":\"UP\",\"cache\":\"DOWN\"}}");
      // over the 64 KiB cap: the JSON is not read, so its cpu does not count
      c.healthBody.set("{\"cpu\":0.95,\"pad\":\"" + "x".repeat(100 * 1024) + "\"}");

      // 30 + 40 + 20 × (1 - 0.95) + 10 = 81; 30 + 40 + 20 + 10 × 1/2 = 95
      await()
          .atMost(WAIT)
          .until(
              () ->
                  target(gw, "u", a.key()).getInteger("score") == 81
                      && target(gw, "u", b.key()).getInteger("score") == 95
                      && state(gw, "u", c.key()).equals("UP")
                      && target(gw, "u", c.key()).getInteger("score") == 100
                      // c's check of this round may come after a's and b's (jitter): wait for one
                      // that saw the big body
                      && String.valueOf(target(gw, "u", c.key()).getString("lastCheck"))
                          .contains("body over"));
      assertThat(target(gw, "u", c.key()).getString("lastCheck"))
          .contains("body over 64KiB, ignored");

      JsonObject ready = new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body());
      JsonObject u =
          ready
              .getJsonObject("components")
              .getJsonObject("upstreams")
              .getJsonObject("components")
              .getJsonObject("u");
      assertThat(u.getString("status")).isEqualTo("UP");
      JsonArray ts = u.getJsonObject("details").getJsonArray("targets");
      assertThat(ts.getJsonObject(0).getString("state")).isEqualTo("UP");
      assertThat(ts.getJsonObject(0).getInteger("score")).isEqualTo(81);
    }
  }

  @Test
  void highCpuLowersTheScoreAndShiftsTraffic() throws Exception {
    try (App a = new App("a");
        App b = new App("b");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck:
              active: { interval: 100ms, timeout: 100ms, healthyThreshold: 1, unhealthyThreshold: 3 }
              score: { weights: { network: 0, health: 0, resources: 100, dependencies: 0 }, floor: 0 }
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
                        .formatted(a.url(), b.url()))) {
      a.healthBody.set("{\"cpu\":0.95}");
      b.healthBody.set("{\"cpu\":0.0}");
      await()
          .atMost(WAIT)
          .until(
              () ->
                  target(gw, "u", a.key()).getInteger("score") == 5
                      && target(gw, "u", b.key()).getInteger("score") == 100);

      Map<String, Integer> counts = spread(gw, "/x", 200);

      // 5 : 100 expects about 10 of 200 for a; even round robin would give it 100
      assertThat(counts.getOrDefault("a", 0)).isLessThan(40);
      assertThat(counts.get("b")).isGreaterThan(160);
      assertThat(target(gw, "u", a.key()).getBoolean("available"))
          .isTrue(); // weighted, not drained
    }
  }

  @Test
  void withEveryTargetDownPanicModeStillServesAndOtherwiseItIs503() throws Exception {
    try (App a = new App("a");
        App b = new App("b");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          strict:
            targets: [ { url: %1$s } ]
            healthCheck:
              active: { interval: 50ms, timeout: 50ms, healthyThreshold: 1, unhealthyThreshold: 1 }
          panicky:
            targets: [ { url: %2$s } ]
            healthCheck:
              active: { interval: 50ms, timeout: 50ms, healthyThreshold: 1, unhealthyThreshold: 1 }
              panic: true
        routes:
          - { name: s, match: { path: /strict/** }, upstream: strict }
          - { name: p, match: { path: /panic/** }, upstream: panicky }
        """
                        .formatted(a.url(), b.url()))) {
      a.healthStatus.set(500);
      b.healthStatus.set(500);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  state(gw, "strict", a.key()).equals("DOWN")
                      && state(gw, "panicky", b.key()).equals("DOWN"));

      HttpResponse<String> strict = TestSupport.get(gw.url("/strict/x"));
      assertThat(strict.statusCode()).isEqualTo(503);
      assertThat(strict.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(strict.body()).contains("no target of upstream 'strict' is available");
      assertThat(a.served.get()).isZero();

      HttpResponse<String> panic = TestSupport.get(gw.url("/panic/x"));
      assertThat(panic.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(panic.body()).getString("upstream")).isEqualTo("b");

      JsonObject ups = upstreams(gw);
      assertThat(ups.getJsonObject("strict").getString("status")).isEqualTo("DOWN");
      assertThat(ups.getJsonObject("panicky").getString("status")).isEqualTo("PANIC");
      // readiness stays UP: the gateway itself can serve (other upstreams, panic, fallbacks)
      HttpResponse<String> ready = TestSupport.get(gw.adminUrl("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(
              new JsonObject(ready.body())
                  .getJsonObject("components")
                  .getJsonObject("upstreams")
                  .getString("status"))
          .isEqualTo("DOWN");
    }
  }

  @Test
  void aReloadWithoutTheHealthCheckStopsItAndForgetsWhatItLearned() throws Exception {
    String routes =
        """
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """;
    try (App a = new App("a");
        App b = new App("b");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck:
              active: { interval: 50ms, timeout: 50ms, healthyThreshold: 1, unhealthyThreshold: 1 }
        """
                        .formatted(a.url(), b.url())
                    + routes)) {
      a.healthStatus.set(503);
      await().atMost(WAIT).until(() -> state(gw, "u", a.key()).equals("DOWN"));

      assertThat(
              gw.rewrite(
                  TestSupport.head()
                      + """
          upstreams:
            u:
              targets: [ { url: %s }, { url: %s } ]
          """
                          .formatted(a.url(), b.url())
                      + routes))
          .isTrue();

      JsonObject t = target(gw, "u", a.key());
      assertThat(t.getString("state")).isEqualTo("UNKNOWN");
      assertThat(t.getBoolean("available")).isTrue();
      assertThat(spread(gw, "/x", 10)).containsEntry("a", 5).containsEntry("b", 5);
      long checks = a.up.seen.stream().filter(x -> x.uri().equals("/health")).count();
      Thread.sleep(500); // ten intervals of the old check
      assertThat(a.up.seen.stream().filter(x -> x.uri().equals("/health")).count())
          .isLessThanOrEqualTo(checks + 1);
      assertThat(target(gw, "u", a.key()).getString("state")).isEqualTo("UNKNOWN");
    }
  }
}
