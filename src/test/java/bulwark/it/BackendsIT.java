package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weighted backends and canary rules through a running gateway, to real upstreams. */
class BackendsIT {
  static Upstream v1;
  static Upstream v2;
  static Upstream idle;
  static Upstream capped;
  static final CountDownLatch release = new CountDownLatch(1);
  static final AtomicInteger cappedSeen = new AtomicInteger();
  static RunningGateway gw;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    v1 = new Upstream("v1", req -> req.response().end("v1"));
    v2 = new Upstream("v2", req -> req.response().end("v2"));
    idle = new Upstream("idle", req -> req.response().end("idle"));
    // answers only once the test lets it: holds the one place its overload cap allows
    capped =
        new Upstream(
            "capped",
            req -> {
              cappedSeen.incrementAndGet();
              Thread.ofPlatform()
                  .start(
                      () -> {
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        req.response().end("capped");
                      });
            });
    gw =
        RunningGateway.start(
            TestSupport.head(dir.resolve("access.log"))
                + """
                upstreams:
                  v1: { targets: [ { url: %s } ] }
                  v2: { targets: [ { url: %s } ] }
                  idle: { targets: [ { url: %s } ] }
                  capped: { targets: [ { url: %s } ], overload: { maxInFlight: 1 } }
                  gone:
                    targets: [ { url: "http://127.0.0.1:%d" } ]
                    healthCheck:
                      active: { path: /health, interval: 100ms, timeout: 100ms, healthyThreshold: 2, unhealthyThreshold: 2 }
                routes:
                  - name: split
                    match: { path: /split/** }
                    backends: [ { upstream: v1, weight: 1 }, { upstream: v2, weight: 1 }, { upstream: idle, weight: 0 } ]
                    canary:
                      - { match: { headers: { X-Canary: always } }, upstream: v2 }
                      - { match: { cookies: { canary: "regex:^(1|yes)$" } }, upstream: v2 }
                      - { match: { query: { canary: "1" } }, upstream: v2 }
                  - name: failover
                    match: { path: /failover/** }
                    backends: [ { upstream: v1, weight: 1 } ]
                    canary:
                      - { match: { headers: { X-Gone: "1" } }, upstream: gone }
                  - name: capped
                    match: { path: /capped/** }
                    backends: [ { upstream: v1, weight: 1 } ]
                    canary:
                      - { match: { headers: { X-Capped: "1" } }, upstream: capped }
                """
                    .formatted(
                        v1.url(), v2.url(), idle.url(), capped.url(), TestSupport.freePort()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    release.countDown();
    for (Upstream u : new Upstream[] {v1, v2, idle, capped}) if (u != null) u.close();
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

  @Test
  void theAccessLogNamesTheUpstreamThatServedEachRequest() throws Exception {
    int n = 40;
    String[] body = new String[n];
    for (int i = 0; i < n; i++) {
      var r = TestSupport.get(gw.url("/split/log-" + i));
      assertThat(r.statusCode()).isEqualTo(200);
      body[i] = r.body();
    }
    assertThat(TestSupport.get(gw.url("/split/log-canary"), "X-Canary", "always").body())
        .isEqualTo("v2");
    // the canary's upstream has no usable target once its health check marks it down: the request
    // falls over to the route's backend, and the line names the one that served it
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> TestSupport.get(gw.url("/failover/x"), "X-Gone", "1").body().equals("v1"));
    assertThat(TestSupport.get(gw.url("/failover/log"), "X-Gone", "1").body()).isEqualTo("v1");

    Path log = dir.resolve("access.log");
    await().atMost(Duration.ofSeconds(60)).until(() -> line(log, "/failover/log") != null);
    for (int i = 0; i < n; i++) {
      String path = "/split/log-" + i;
      await().atMost(Duration.ofSeconds(60)).until(() -> line(log, path) != null);
      JsonObject l = line(log, path);
      assertThat(l).as("line of /split/log-%d", i).isNotNull();
      assertThat(l.getString("bulwark.upstream.name")).as("request %d", i).isEqualTo(body[i]);
      int port = (body[i].equals("v1") ? v1 : v2).port;
      assertThat(l.getString("bulwark.upstream.target")).isEqualTo("127.0.0.1:" + port);
    }
    assertThat(List.of(body)).as("both backends served some").contains("v1", "v2");
    assertThat(line(log, "/split/log-canary").getString("bulwark.upstream.name")).isEqualTo("v2");
    assertThat(line(log, "/failover/log").getString("bulwark.upstream.name")).isEqualTo("v1");
  }

  @Test
  void aCanaryRefusedByItsOverloadCapIsLoggedAndCountedUnderTheCanary() throws Exception {
    var held =
        TestSupport.HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(gw.url("/capped/held")))
                .header("X-Capped", "1")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(60)).until(() -> cappedSeen.get() == 1);
    var refused = TestSupport.get(gw.url("/capped/refused"), "X-Capped", "1");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.body()).contains("maxInFlight");
    release.countDown();
    assertThat(held.get(60, TimeUnit.SECONDS).body()).isEqualTo("capped");

    // the refusal names the canary, so the canary's error rate (panel, alert) counts it
    Path log = dir.resolve("access.log");
    await().atMost(Duration.ofSeconds(60)).until(() -> line(log, "/capped/refused") != null);
    JsonObject l = line(log, "/capped/refused");
    assertThat(l.getInteger("http.response.status_code")).isEqualTo(503);
    assertThat(l.getString("bulwark.upstream.name")).isEqualTo("capped");
    String scrape = TestSupport.get(gw.adminUrl("/metrics")).body();
    assertThat(scrape)
        .containsPattern(
            "bulwark_requests_seconds_count\\{[^}]*route=\"capped\"[^}]*status=\"503\"[^}]*upstream=\"capped\"");
  }

  /** The access-log line of the request for {@code path}, or null while it is not written. */
  private static JsonObject line(Path file, String path) throws Exception {
    if (!Files.exists(file)) return null;
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .filter(j -> path.equals(j.getString("url.path")))
        .findFirst()
        .orElse(null);
  }
}
