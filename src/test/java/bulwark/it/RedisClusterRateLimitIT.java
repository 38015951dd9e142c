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

/**
 * scope: cluster rate limits through a real three-master Redis Cluster ({@code
 * cluster.redisCluster}): gateways share the buckets, keys spread over the masters, and a master
 * that dies makes the limits follow onRedisFailure until it is back.
 */
class RedisClusterRateLimitIT {
  /**
   * A generous timeout: a call that is merely slow on a loaded machine must not count as a failure;
   * a dead master's calls fail at once (refused while disconnected, or CLUSTERDOWN).
   */
  private static String config(
      Upstream up, RedisClusterServer redis, String middlewares, String routes) {
    return TestSupport.head()
        + """
        cluster:
          redisCluster: %s
          timeout: 5s
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
        %s
        routes:
        %s
        """
            .formatted(redis.yamlList(), up.url(), middlewares, routes);
  }

  @Test
  void twoGatewaysSharingARedisClusterAcceptTheLimitBetweenThemAndKeysSpreadOverMasters()
      throws Exception {
    // 300 tokens and a refill of 1 an hour: whatever the timing, 300 requests in all may pass
    String mws =
        """
          shared: { rateLimit: { key: route, rate: 1/h, burst: 300, scope: cluster, onRedisFailure: closed } }
          per-client: { rateLimit: { key: "header:X-Client", rate: 1/h, burst: 3, scope: cluster, onRedisFailure: closed } }
        """;
    String routes =
        """
          - { name: api, match: { path: /api/** }, upstream: a, middlewares: [shared] }
          - { name: clients, match: { path: /clients/** }, upstream: a, middlewares: [per-client] }
        """;
    try (RedisClusterServer redis = RedisClusterServer.start();
        Upstream up = new Upstream("a");
        RunningGateway g1 = RunningGateway.start(config(up, redis, mws, routes));
        RunningGateway g2 = RunningGateway.start(config(up, redis, mws, routes))) {
      AtomicInteger accepted = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      AtomicInteger other = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (RunningGateway gw : List.of(g1, g2)) {
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
                            else if (s == 429) refused.incrementAndGet();
                            else other.incrementAndGet();
                            if (s != 200) myRefusals++;
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
          "redis cluster rate limit: %d accepted by 2 gateways (limit 300), %d refused (429), %d other%n",
          accepted.get(), refused.get(), other.get());
      assertThat(other.get()).as("no Redis failure (503) and no error").isZero();
      assertThat(accepted.get()).isBetween(285, 315);
      assertThat((long) up.seen.size()).isEqualTo(accepted.get());

      // 30 clients, each with its own bucket of 3, asked through both gateways in turn: exactly
      // 3 pass per client, whichever gateway answers
      for (int c = 0; c < 30; c++) {
        List<Integer> s = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          RunningGateway gw = i % 2 == 0 ? g1 : g2;
          s.add(TestSupport.get(gw.url("/clients/x"), "X-Client", "client-" + c).statusCode());
        }
        assertThat(s).as("client-" + c).containsExactly(200, 200, 200, 429, 429);
      }
      // the buckets live on more than one master (hash slots spread the keys)
      int mastersWithKeys = 0;
      long total = 0;
      for (int i = 0; i < 3; i++) {
        long n = redis.keys(i, "bulwark:rl:per-client:*");
        total += n;
        if (n > 0) mastersWithKeys++;
      }
      assertThat(total).isEqualTo(30);
      assertThat(mastersWithKeys).isGreaterThanOrEqualTo(2);
      assertThat(redisHealth(g1).getString("status")).isEqualTo("UP");
      assertThat(redisHealth(g1).getJsonObject("details").getString("mode")).isEqualTo("cluster");
    }
  }

  @Test
  void whenAMasterDiesOpenLetsRequestsThroughClosedRefusesWith503AndLimitingResumesWhenItIsBack()
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
    try (RedisClusterServer redis = RedisClusterServer.start();
        Upstream up = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(up, redis, mws, routes))) {
      String open = gw.url("/open/x");
      String closed = gw.url("/closed/x");
      assertThat(RateLimitIT.statuses(open, 3)).containsExactly(200, 200, 429);
      assertThat(RateLimitIT.statuses(closed, 3)).containsExactly(200, 200, 429);
      assertThat(redisHealth(gw).getString("status")).isEqualTo("UP");

      // kill the master that holds the closed limit's bucket
      int victim = -1;
      for (int i = 0; i < 3; i++) if (redis.keys(i, "bulwark:rl:closed-limit:*") > 0) victim = i;
      assertThat(victim).as("the master holding closed-limit's key").isNotNegative();
      int victimPort = redis.nodes.get(victim).port;
      redis.kill(victim);
      // the health probe notices the dead master without any request
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  "DOWN".equals(redisHealth(gw).getString("status"))
                      && String.valueOf(
                              redisHealth(gw).getJsonObject("details").getString("lastError"))
                          .contains("127.0.0.1:" + victimPort));

      // closed: 503 problem+json, no stack trace
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> c = TestSupport.get(closed);
        assertThat(c.statusCode()).isEqualTo(503);
        assertThat(c.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(c.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(c.body()).getString("detail"))
            .contains("closed-limit")
            .contains("Redis");
        assertThat(c.body()).doesNotContain("Exception").doesNotContain("\tat ");
      }
      // open: once the surviving masters see the cluster failed, every key fails and the
      // used-up limit lets everything through
      redis.awaitState("fail");
      assertThat(RateLimitIT.statuses(open, 10)).containsOnly(200);
      HttpResponse<String> ready = TestSupport.get(gw.adminUrl("/health/ready"));
      assertThat(ready.statusCode()).as("the gateway stays ready").isEqualTo(200);
      JsonObject d = redisHealth(gw).getJsonObject("details");
      assertThat(d.getString("mode")).isEqualTo("cluster");
      assertThat(d.getString("address")).contains("127.0.0.1:" + victimPort);
      assertThat(d.getLong("allowedWhileDown")).isGreaterThanOrEqualTo(10);
      assertThat(d.getLong("refusedWhileDown")).isGreaterThanOrEqualTo(10);
      assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.WARN).count()).isEqualTo(1);

      // the master comes back (same ports and nodes.conf, empty): limiting resumes
      redis.restart(victim);
      redis.awaitState("ok");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> "UP".equals(redisHealth(gw).getString("status")));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> TestSupport.get(closed).statusCode() == 429);
      await().atMost(Duration.ofSeconds(60)).until(() -> TestSupport.get(open).statusCode() == 429);
      assertThat(RateLimitIT.statuses(closed, 3)).containsOnly(429);
      assertThat(
              logs.list.stream()
                  .filter(
                      e ->
                          e.getLevel() == Level.INFO
                              && e.getFormattedMessage().contains("reachable again"))
                  .count())
          .isGreaterThanOrEqualTo(1);
    } finally {
      linkLog.detachAppender(logs);
    }
  }

  @Test
  void thePasswordInARedisClusterUriIsNeverLoggedOrShown() throws Exception {
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
               redisCluster: [ "redis://:s3cr3t-pw@127.0.0.1:%d" ]
               timeout: 200ms
             upstreams:
               a: { targets: [ { url: %s } ] }
             middlewares:
             %s
             routes:
             %s
             """
                        .formatted(nobody, up.url(), mws, routes))) {
      HttpResponse<String> r = TestSupport.get(gw.url("/r/x"));
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).doesNotContain("s3cr3t");
      await().atMost(Duration.ofSeconds(30)).until(() -> !logs.list.isEmpty());
      String ready = TestSupport.get(gw.adminUrl("/health/ready")).body();
      assertThat(ready).contains("127.0.0.1:" + nobody).doesNotContain("s3cr3t");
      assertThat(gw.gateway.redis().config().toString()).doesNotContain("s3cr3t");
      assertThat(logs.list)
          .allSatisfy(e -> assertThat(e.getFormattedMessage()).doesNotContain("s3cr3t"));
      assertThat(logs.list.get(0).getFormattedMessage())
          .contains("Redis Cluster")
          .contains("127.0.0.1:" + nobody);
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
