package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.filter.ratelimit.RedisLink;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** scope: cluster rate limits: gateways sharing buckets through a real redis-server. */
class ClusterRateLimitIT {
  private static String config(Upstream up, RedisServer redis, String middlewares, String routes) {
    return TestSupport.head()
        + """
        cluster:
          redis: "%s"
          timeout: 1s
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
        %s
        routes:
        %s
        """
            .formatted(redis.uri(), up.url(), middlewares, routes);
  }

  @Test
  void threeGatewaysSharingOneRedisAcceptTheLimitBetweenThem() throws Exception {
    // 300 tokens and a refill of 1 an hour: whatever the timing, 300 requests in all may pass
    String mws =
        "  shared: { rateLimit: { key: route, rate: 1/h, burst: 300, scope: cluster, onRedisFailure: closed } }";
    String routes =
        "  - { name: api, match: { path: /api/** }, upstream: a, middlewares: [shared] }";
    try (RedisServer redis = RedisServer.start();
        Upstream up = new Upstream("a");
        RunningGateway g1 = RunningGateway.start(config(up, redis, mws, routes));
        RunningGateway g2 = RunningGateway.start(config(up, redis, mws, routes));
        RunningGateway g3 = RunningGateway.start(config(up, redis, mws, routes))) {
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      AtomicInteger other = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (RunningGateway gw : List.of(g1, g2, g3)) {
        for (int t = 0; t < 3; t++) {
          threads.add(
              Thread.ofPlatform()
                  .start(
                      () -> {
                        // every client keeps going until it has been refused 30 times
                        int myRefusals = 0;
                        while (myRefusals < 30) {
                          try {
                            int s = TestSupport.get(gw.url("/api/x")).statusCode();
                            if (s == 200) accepted.incrementAndGet();
                            else if (s == 429) {
                              refused.incrementAndGet();
                              myRefusals++;
                            } else {
                              other.incrementAndGet();
                              myRefusals++;
                            }
                          } catch (Exception e) {
                            other.incrementAndGet();
                            myRefusals++;
                          }
                        }
                      }));
        }
      }
      for (Thread t : threads) t.join();
      System.out.printf(
          "cluster rate limit: %d accepted by 3 gateways (limit 300), %d refused (429), %d other%n",
          accepted.get(), refused.get(), other.get());
      assertThat(other.get()).as("no Redis failure (503) and no error").isZero();
      assertThat(accepted.get()).isBetween(285, 315);
      long perGateway = up.seen.size();
      assertThat(perGateway).isEqualTo(accepted.get());
    }
  }

  @Test
  void whenRedisIsDownOpenLetsRequestsThroughClosedRefusesWith503AndLimitingResumesWhenItIsBack()
      throws Exception {
    String mws =
        """
          open-limit: { rateLimit: { key: route, rate: 1/h, burst: 2, scope: cluster, onRedisFailure: open } }
          closed-limit: { rateLimit: { key: route, rate: 1/h, burst: 2, scope: cluster, onRedisFailure: closed } }
        """;
    String routes =
        """
          - { name: open, match: { path: /open/** }, upstream: a, middlewares: [open-limit] }
          - { name: closed, match: { path: /closed/** }, upstream: a, middlewares: [closed-limit] }
        """;
    Logger linkLog = (Logger) LoggerFactory.getLogger(RedisLink.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    linkLog.addAppender(logs);
    try (RedisServer redis = RedisServer.start();
        Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(up, redis, mws, routes))) {
      String open = gw.url("/open/x");
      String closed = gw.url("/closed/x");
      assertThat(RateLimitIT.statuses(open, 3)).containsExactly(200, 200, 429);
      assertThat(RateLimitIT.statuses(closed, 3)).containsExactly(200, 200, 429);
      HttpResponse<String> r = TestSupport.get(open);
      assertThat(r.headers().firstValue("RateLimit-Policy")).hasValue("\"open-limit\";q=2;w=7200");
      assertThat(redisHealth(gw).getString("status")).isEqualTo("UP");

      redis.stop();
      // open: the used-up limit lets everything through while it cannot be checked
      assertThat(RateLimitIT.statuses(open, 10)).containsOnly(200);
      // closed: 503 problem+json
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> c = TestSupport.get(closed);
        assertThat(c.statusCode()).isEqualTo(503);
        assertThat(c.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(c.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(c.body()).getString("detail"))
            .contains("closed-limit")
            .contains("Redis");
      }
      // visible: readiness shows Redis DOWN with the counts, yet the gateway stays ready
      HttpResponse<String> ready = TestSupport.get(gw.adminUrl("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      JsonObject rh =
          new JsonObject(ready.body()).getJsonObject("components").getJsonObject("redis");
      assertThat(rh.getString("status")).isEqualTo("DOWN");
      JsonObject d = rh.getJsonObject("details");
      assertThat(d.getString("address")).isEqualTo("127.0.0.1:" + redis.port);
      assertThat(d.getLong("allowedWhileDown")).isGreaterThanOrEqualTo(10);
      assertThat(d.getLong("refusedWhileDown")).isGreaterThanOrEqualTo(10);
      assertThat(d.getLong("failures")).isGreaterThanOrEqualTo(20);
      // ...and one WARN for the outage, not one per request
      assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.WARN).count()).isEqualTo(1);

      redis.restart();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> "UP".equals(redisHealth(gw).getString("status")));
      // the restarted Redis is empty: full buckets, then limited again
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> TestSupport.get(closed).statusCode() == 429);
      await().atMost(Duration.ofSeconds(30)).until(() -> TestSupport.get(open).statusCode() == 429);
      assertThat(RateLimitIT.statuses(open, 3)).containsOnly(429);
      assertThat(RateLimitIT.statuses(closed, 3)).containsOnly(429);
      assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.WARN).count()).isEqualTo(1);
      assertThat(
              logs.list.stream()
                  .filter(
                      e ->
                          e.getLevel() == Level.INFO
                              && e.getFormattedMessage().contains("reachable again"))
                  .count())
          .isEqualTo(1);
    } finally {
      linkLog.detachAppender(logs);
    }
  }

  @Test
  void thePasswordInTheRedisUriIsNeverLoggedOrShown() throws Exception {
    Logger linkLog = (Logger) LoggerFactory.getLogger(RedisLink.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    linkLog.addAppender(logs);
    int nobody = TestSupport.freePort();
    String mws =
        "  l: { rateLimit: { key: route, rate: 1/h, burst: 2, scope: cluster, onRedisFailure: closed } }";
    String routes = "  - { name: r, match: { path: /r/** }, upstream: a, middlewares: [l] }";
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
             cluster:
               redis: "redis://:s3cr3t-pw@127.0.0.1:%d"
               timeout: 200ms
             upstreams:
               a: { targets: [ { url: %s } ] }
             middlewares:
             %s
             routes:
             %s
             """
                        .formatted(nobody, up.url(), mws, routes))) {
      assertThat(TestSupport.get(gw.url("/r/x")).statusCode()).isEqualTo(503);
      await().atMost(Duration.ofSeconds(30)).until(() -> !logs.list.isEmpty());
      String ready = TestSupport.get(gw.adminUrl("/health/ready")).body();
      assertThat(ready).contains("127.0.0.1:" + nobody).doesNotContain("s3cr3t");
      assertThat(logs.list)
          .allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain("s3cr3t"));
      assertThat(logs.list.get(0).getFormattedMessage()).contains("127.0.0.1:" + nobody);
    } finally {
      linkLog.detachAppender(logs);
    }
  }

  private static JsonObject redisHealth(RunningGateway gw) throws Exception {
    return new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body())
        .getJsonObject("components")
        .getJsonObject("redis");
  }
}
