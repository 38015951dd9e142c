package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ECS access log: one JSON line per request in the configured file, or nothing when disabled.
 */
class AccessLogIT {
  static Upstream up;
  static final java.util.concurrent.atomic.AtomicInteger hanging =
      new java.util.concurrent.atomic.AtomicInteger();

  @TempDir Path dir;

  @BeforeAll
  static void startUpstream() {
    up =
        new Upstream(
            "a",
            req -> {
              if (req.path().equals("/logged/hang")) {
                hanging.incrementAndGet();
                return;
              }
              req.body().onSuccess(b -> req.response().end("ok"));
            });
  }

  @AfterAll
  static void stopUpstream() {
    if (up != null) up.close();
  }

  static String config(boolean enabled, Path out) {
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
        routes:
          - { name: logged, match: { path: /logged/** }, upstream: a }
        """
        .formatted(enabled, out.toString().replace("\\", "/"), up.url());
  }

  static List<JsonObject> lines(Path file) throws Exception {
    if (!Files.exists(file)) return List.of();
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .toList();
  }

  @Test
  void oneEcsLinePerRequest() throws Exception {
    Path out = dir.resolve("access.log");
    Instant before = Instant.now().minusSeconds(1);
    try (RunningGateway gw = RunningGateway.start(config(true, out))) {
      assertThat(
              TestSupport.get(
                      gw.url("/logged/1?secret=q"),
                      "User-Agent",
                      "it-agent/1.0",
                      "X-Request-Id",
                      "log-req-1")
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              TestSupport.send(
                      "POST",
                      gw.url("/logged/2"),
                      "body",
                      "User-Agent",
                      "it-agent/2.0",
                      "X-Request-Id",
                      "log-req-2")
                  .statusCode())
          .isEqualTo(200);
      assertThat(TestSupport.get(gw.url("/missing"), "X-Request-Id", "log-req-3").statusCode())
          .isEqualTo(404);

      await().atMost(Duration.ofSeconds(30)).until(() -> lines(out).size() >= 3);
      List<JsonObject> all = lines(out);
      assertThat(all).hasSize(3);
      Map<String, JsonObject> byId =
          all.stream()
              .collect(Collectors.toMap(j -> j.getString("http.request.id"), Function.identity()));
      assertThat(byId).containsOnlyKeys("log-req-1", "log-req-2", "log-req-3");

      JsonObject l1 = byId.get("log-req-1");
      assertThat(Instant.parse(l1.getString("@timestamp")))
          .isAfter(before)
          .isBefore(Instant.now().plusSeconds(1));
      assertThat(l1.getString("http.request.method")).isEqualTo("GET");
      assertThat(l1.getString("url.path")).isEqualTo("/logged/1");
      assertThat(l1.getInteger("http.response.status_code")).isEqualTo(200);
      assertThat(l1.getLong("event.duration")).isPositive();
      assertThat(l1.getString("client.ip")).isEqualTo("127.0.0.1");
      assertThat(l1.getString("user_agent.original")).isEqualTo("it-agent/1.0");
      assertThat(l1.getString("bulwark.route")).isEqualTo("logged");
      assertThat(l1.getString("bulwark.upstream.target")).isEqualTo("127.0.0.1:" + up.port);
      assertThat(l1.getLong("bulwark.upstream.duration"))
          .isPositive()
          .isLessThanOrEqualTo(l1.getLong("event.duration"));
      assertThat(l1.encode()).doesNotContain("secret=q");

      JsonObject l2 = byId.get("log-req-2");
      assertThat(l2.getString("http.request.method")).isEqualTo("POST");
      assertThat(l2.getString("user_agent.original")).isEqualTo("it-agent/2.0");

      JsonObject l3 = byId.get("log-req-3");
      assertThat(l3.getInteger("http.response.status_code")).isEqualTo(404);
      assertThat(l3.getString("url.path")).isEqualTo("/missing");
      assertThat(l3.containsKey("bulwark.route")).isFalse();
      assertThat(l3.containsKey("bulwark.upstream.target")).isFalse();
    }
  }

  @Test
  void aClientsRequestIdIsRedactedWhenCredentialShapedAndAGeneratedOneIsLoggedAsIs()
      throws Exception {
    Path out = dir.resolve("ids.log");
    // a JWT passes the X-Request-Id character rules (letters, digits, dots, dashes): kept as the
    // id,
    // it must still be masked in the log; an id the gateway made is written without the check
    String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    try (RunningGateway gw = RunningGateway.start(config(true, out))) {
      var given = TestSupport.get(gw.url("/logged/jwt-id"), "X-Request-Id", jwt);
      assertThat(given.headers().firstValue("X-Request-Id")).contains(jwt);
      var made = TestSupport.get(gw.url("/logged/made-id"));
      String madeId = made.headers().firstValue("X-Request-Id").orElseThrow();
      assertThat(madeId).matches("[0-9a-f]{32}");
      await().atMost(Duration.ofSeconds(30)).until(() -> lines(out).size() >= 2);
      Map<String, JsonObject> byPath =
          lines(out).stream()
              .collect(Collectors.toMap(j -> j.getString("url.path"), Function.identity()));
      assertThat(byPath.get("/logged/jwt-id").getString("http.request.id"))
          .isEqualTo(bulwark.log.Redact.MASK);
      assertThat(Files.readString(out)).doesNotContain(jwt);
      assertThat(byPath.get("/logged/made-id").getString("http.request.id")).isEqualTo(madeId);
    }
  }

  @Test
  void aClientThatGoesAwayIsLogged499AndTheClientIpComesFromATrustedProxy() throws Exception {
    Path out = dir.resolve("gone.log");
    try (RunningGateway gw = RunningGateway.start(config(true, out))) {
      int before = hanging.get();
      try (ItClients.RawConnection c = new ItClients.RawConnection(gw.port)) {
        c.write(
            "GET /logged/hang HTTP/1.1\r\nHost: gw\r\nX-Request-Id: gone-1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> hanging.get() > before);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  lines(out).stream()
                      .anyMatch(j -> "gone-1".equals(j.getString("http.request.id"))));
      JsonObject l =
          lines(out).stream()
              .filter(j -> "gone-1".equals(j.getString("http.request.id")))
              .findFirst()
              .orElseThrow();
      assertThat(l.getInteger("http.response.status_code")).isEqualTo(499);
      assertThat(l.getString("client.ip")).isEqualTo("203.0.113.9");
      assertThat(l.getString("bulwark.route")).isEqualTo("logged");
      assertThat(l.containsKey("user_agent.original")).isFalse();
    }
  }

  @Test
  void disabledWritesNothing() throws Exception {
    Path out = dir.resolve("never.log");
    RunningGateway gw = RunningGateway.start(config(false, out));
    try {
      for (int i = 0; i < 5; i++)
        assertThat(TestSupport.get(gw.url("/logged/" + i)).statusCode()).isEqualTo(200);
      assertThat(TestSupport.get(gw.url("/missing")).statusCode()).isEqualTo(404);
    } finally {
      gw.close(); // stops and flushes the access log
    }
    assertThat(lines(out)).isEmpty();
  }
}
