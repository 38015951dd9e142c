package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scope: local rate limits through the running gateway, against a real upstream. */
class RateLimitIT {
  private static final Pattern STATE = Pattern.compile("\"([^\"]+)\";r=(\\d+);t=(\\d+)");
  static Upstream up;

  @TempDir Path dir;

  @BeforeAll
  static void startUpstream() {
    up = new Upstream("a");
  }

  @AfterAll
  static void stopUpstream() {
    if (up != null) up.close();
  }

  private static String config(String middlewares, String routes, Path accessLog) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          trustedProxies: ["127.0.0.1/32"]
          shutdown: { gracePeriod: 2s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: %s, output: "%s" }
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
        %s
        routes:
        %s
        """
        .formatted(
            accessLog != null,
            accessLog == null ? "stdout" : accessLog.toString().replace("\\", "/"),
            up.url(),
            middlewares,
            routes);
  }

  /** The RateLimit field as {name, r, t}. */
  private static String[] state(HttpResponse<String> r) {
    String v = r.headers().firstValue("RateLimit").orElse(null);
    assertThat(v).as("RateLimit field").isNotNull();
    Matcher m = STATE.matcher(v);
    assertThat(m.matches()).as("RateLimit '%s' is in the structured-field form", v).isTrue();
    return new String[] {m.group(1), m.group(2), m.group(3)};
  }

  private static String policy(HttpResponse<String> r) {
    return r.headers().firstValue("RateLimit-Policy").orElse(null);
  }

  @Test
  void aRefusalIs429ProblemJsonWithRetryAfterAndTheRateLimitFields() throws Exception {
    Path log = dir.resolve("access.log");
    String mws = "  per-ip: { rateLimit: { key: client_ip, rate: 2/min } }";
    String routes =
        "  - { name: limited, match: { path: /limited/** }, upstream: a, middlewares: [per-ip] }";
    try (RunningGateway gw = RunningGateway.start(config(mws, routes, log))) {
      int seenBefore = up.seen.size();
      HttpResponse<String> r1 =
          TestSupport.get(gw.url("/limited/1"), "X-Forwarded-For", "198.51.100.1");
      assertThat(r1.statusCode()).isEqualTo(200);
      assertThat(policy(r1)).isEqualTo("\"per-ip\";q=2;w=60");
      String[] s1 = state(r1);
      assertThat(s1[0]).isEqualTo("per-ip");
      assertThat(s1[1]).isEqualTo("1");
      // one token short of full: 30 s to refill it, rounded up
      assertThat(Long.parseLong(s1[2])).isBetween(29L, 30L);

      HttpResponse<String> r2 =
          TestSupport.get(gw.url("/limited/2"), "X-Forwarded-For", "198.51.100.1");
      assertThat(r2.statusCode()).isEqualTo(200);
      assertThat(state(r2)[1]).isEqualTo("0");

      HttpResponse<String> r3 =
          TestSupport.get(
              gw.url("/limited/3"),
              "X-Forwarded-For",
              "198.51.100.1",
              "X-Request-Id",
              "rl-refused-1");
      assertThat(r3.statusCode()).isEqualTo(429);
      assertThat(r3.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      JsonObject body = new JsonObject(r3.body());
      assertThat(body.getInteger("status")).isEqualTo(429);
      assertThat(body.getString("title")).isEqualTo("Too Many Requests");
      assertThat(body.getString("detail")).contains("per-ip");
      assertThat(body.getString("requestId")).isEqualTo("rl-refused-1");
      assertThat(r3.headers().firstValue("X-Request-Id")).hasValue("rl-refused-1");
      // a token comes back every 30 s
      long retry = Long.parseLong(r3.headers().firstValue("Retry-After").orElseThrow());
      assertThat(retry).isBetween(29L, 30L);
      assertThat(policy(r3)).isEqualTo("\"per-ip\";q=2;w=60");
      String[] s3 = state(r3);
      assertThat(s3[1]).isEqualTo("0");
      assertThat(Long.parseLong(s3[2])).isBetween(59L, 60L);
      assertThat(up.seen.size() - seenBefore)
          .as("the refused request never reached the upstream")
          .isEqualTo(2);

      // another client address has a bucket of its own
      assertThat(
              TestSupport.get(gw.url("/limited/4"), "X-Forwarded-For", "198.51.100.2").statusCode())
          .isEqualTo(200);

      // the refusal ended the exchange like any other: in-flight released, one access log line
      await().atMost(Duration.ofSeconds(30)).until(() -> gw.gateway.inFlight() == 0);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Files.exists(log)
                      && Files.readAllLines(log).stream()
                          .anyMatch(l -> l.contains("rl-refused-1")));
      List<JsonObject> lines =
          Files.readAllLines(log).stream()
              .filter(l -> l.contains("rl-refused-1"))
              .map(JsonObject::new)
              .toList();
      assertThat(lines).hasSize(1);
      assertThat(lines.get(0).getInteger("http.response.status_code")).isEqualTo(429);
      assertThat(lines.get(0).getString("bulwark.route")).isEqualTo("limited");
    }
  }

  @Test
  void stackedLimitsMustAllPassAndTheFieldsDescribeTheOneWithFewestTokensLeft() throws Exception {
    String mws =
        """
          per-key: { rateLimit: { key: "header:X-Key", rate: 2/min } }
          per-route: { rateLimit: { key: route, rate: 3/min } }
        """;
    String routes =
        "  - { name: stacked, match: { path: /stacked/** }, upstream: a, middlewares: [per-key, per-route] }";
    try (RunningGateway gw = RunningGateway.start(config(mws, routes, null))) {
      String u = gw.url("/stacked/x");
      HttpResponse<String> a1 = TestSupport.get(u, "X-Key", "k1");
      assertThat(a1.statusCode()).isEqualTo(200);
      // per-key has 1 left, per-route 2: per-key is shown
      assertThat(policy(a1)).isEqualTo("\"per-key\";q=2;w=60");
      assertThat(state(a1)[1]).isEqualTo("1");

      assertThat(TestSupport.get(u, "X-Key", "k1").statusCode()).isEqualTo(200);
      HttpResponse<String> a3 = TestSupport.get(u, "X-Key", "k1");
      assertThat(a3.statusCode()).isEqualTo(429);
      assertThat(policy(a3)).isEqualTo("\"per-key\";q=2;w=60");

      // k2's own bucket is full, but the route has 1 token left: per-route (r=0) is shown
      HttpResponse<String> b1 = TestSupport.get(u, "X-Key", "k2");
      assertThat(b1.statusCode()).isEqualTo(200);
      assertThat(policy(b1)).isEqualTo("\"per-route\";q=3;w=60");
      assertThat(state(b1)[1]).isEqualTo("0");

      // k2 still has a token of its own; the route limit refuses
      HttpResponse<String> b2 = TestSupport.get(u, "X-Key", "k2");
      assertThat(b2.statusCode()).isEqualTo(429);
      assertThat(policy(b2)).isEqualTo("\"per-route\";q=3;w=60");
      assertThat(new JsonObject(b2.body()).getString("detail")).contains("per-route");
    }
  }

  @Test
  void perHeaderKeysAreIndependentAndAMissingHeaderSharesOneBucket() throws Exception {
    String mws = "  per-key: { rateLimit: { key: \"header:X-Api-Key\", rate: 2/min } }";
    String routes =
        "  - { name: keyed, match: { path: /keyed/** }, upstream: a, middlewares: [per-key] }";
    try (RunningGateway gw = RunningGateway.start(config(mws, routes, null))) {
      String u = gw.url("/keyed/x");
      assertThat(statuses(u, 3, "X-Api-Key", "alice")).containsExactly(200, 200, 429);
      assertThat(statuses(u, 3, "X-Api-Key", "bob")).containsExactly(200, 200, 429);
      // different client addresses, no header: one bucket between them
      assertThat(statuses(u, 1, "X-Forwarded-For", "203.0.113.1")).containsExactly(200);
      assertThat(statuses(u, 2, "X-Forwarded-For", "203.0.113.2")).containsExactly(200, 429);
      assertThat(statuses(u, 1, "X-Api-Key", "carol")).containsExactly(200);
      assertThat(statuses(u, 1, "X-Api-Key", "alice")).containsExactly(429);
    }
  }

  @Test
  void aRouteKeyedLimitOnTwoRoutesLimitsEachRouteSeparately() throws Exception {
    String mws = "  per-route: { rateLimit: { key: route, rate: 1/min } }";
    String routes =
        """
          - { name: one, match: { path: /one/** }, upstream: a, middlewares: [per-route] }
          - { name: two, match: { path: /two/** }, upstream: a, middlewares: [per-route] }
        """;
    try (RunningGateway gw = RunningGateway.start(config(mws, routes, null))) {
      assertThat(statuses(gw.url("/one/x"), 2)).containsExactly(200, 429);
      assertThat(statuses(gw.url("/two/x"), 2)).containsExactly(200, 429);
    }
  }

  @Test
  void bucketsSurviveAReloadThatLeavesTheLimitUnchangedAndAChangedLimitStartsFull()
      throws Exception {
    String mws = "  per-ip: { rateLimit: { rate: 1/min } }";
    String routes =
        "  - { name: limited, match: { path: /limited/** }, upstream: a, middlewares: [per-ip] }";
    String more = routes + "\n  - { name: other, match: { path: /other/** }, upstream: a }";
    try (RunningGateway gw = RunningGateway.start(config(mws, routes, null))) {
      String u = gw.url("/limited/x");
      assertThat(statuses(u, 2)).containsExactly(200, 429);
      assertThat(gw.rewrite(config(mws, more, null))).isTrue();
      assertThat(statuses(u, 1))
          .as("same limit after the reload: still used up")
          .containsExactly(429);
      assertThat(gw.rewrite(config("  per-ip: { rateLimit: { rate: 2/min } }", more, null)))
          .isTrue();
      assertThat(statuses(u, 3))
          .as("a changed limit starts with a full bucket")
          .containsExactly(200, 200, 429);
    }
  }

  static List<Integer> statuses(String url, int n, String... headers) throws Exception {
    Integer[] out = new Integer[n];
    for (int i = 0; i < n; i++) out[i] = TestSupport.get(url, headers).statusCode();
    return List.of(out);
  }
}
