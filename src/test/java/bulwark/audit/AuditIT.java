package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's file sink, fed by a real gateway in front of real upstreams. */
class AuditIT {
  static final String KEY = "alice-key-1";
  static final String WRONG_KEY = "wrong-secret-key-123";
  static final String ADMIN_TOKEN = "admin-token-0123456789abcdef0123456789";
  static Upstream ok;
  static Upstream failing;

  @TempDir Path dir;

  @BeforeAll
  static void startUpstreams() {
    ok = new Upstream("ok");
    failing = new Upstream("failing", req -> req.response().setStatusCode(500).end("no"));
  }

  @AfterAll
  static void stopUpstreams() {
    ok.close();
    failing.close();
  }

  private Path auditFile() {
    return dir.resolve("audit.jsonl");
  }

  /**
   * The start of a config for the audit tests: listeners on ${PORT}/${ADMIN_PORT}, the admin API
   * behind {@link #ADMIN_TOKEN}, the access log off; {@code observability} is the rest of that
   * section, indented by two.
   */
  static String head(String observability) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 1s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
          token: "%s"
        observability:
          accessLog: { enabled: false }
        %s
        """
        .formatted(ADMIN_TOKEN, observability.stripTrailing());
  }

  /** The gateway config; {@code routes} and {@code extraMiddlewares} vary between reloads. */
  private String config(String routes, String extraMiddlewares) throws Exception {
    return head("  audit: { file: \"" + auditFile() + "\", rateLimitBurst: 3/h }")
        + """
        upstreams:
          ok: { targets: [ { url: %s } ] }
          failing:
            targets: [ { url: %s } ]
            circuitBreaker: { window: 4, minimumCalls: 4, openFor: 1m }
        middlewares:
          keys: { apiKey: { consumers: { alice: ["%s"] } } }
          tight: { rateLimit: { key: route, rate: 1/h } }
        %s
        routes:
        %s
        """
            .formatted(ok.url(), failing.url(), sha256(KEY), extraMiddlewares, routes);
  }

  private static final String ROUTES =
      """
        - { name: api, match: { path: /api/** }, upstream: ok, middlewares: [keys] }
        - { name: limited, match: { path: /limited/** }, upstream: ok, middlewares: [tight] }
        - { name: flaky, match: { path: /flaky/** }, upstream: failing }
        - { name: old, match: { path: /old/** }, upstream: ok }
      """;

  private RunningGateway start() throws Exception {
    return RunningGateway.start(config(ROUTES, ""));
  }

  static String sha256(String s) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** Every event in the audit file so far, in file order. */
  static List<JsonObject> events(Path file) throws Exception {
    if (!Files.exists(file)) return List.of();
    return Files.readAllLines(file).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .toList();
  }

  private List<JsonObject> events(String action) throws Exception {
    return events(auditFile()).stream()
        .filter(e -> action.equals(e.getString("event.action")))
        .toList();
  }

  /** Waits until an event of {@code action} matching {@code p} is in the file, and returns it. */
  private JsonObject awaitEvent(String action, Predicate<JsonObject> p) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> events(action).stream().filter(p).findFirst().orElse(null), e -> e != null);
  }

  private JsonObject awaitEvent(String action) {
    return awaitEvent(action, e -> true);
  }

  @Test
  void aReloadNamesTheRoutesUpstreamsAndMiddlewaresItAddedRemovedAndModified() throws Exception {
    try (RunningGateway gw = start()) {
      String routes =
          """
            - { name: api, match: { path: /api/** }, upstream: ok, middlewares: [keys], timeout: 5s }
            - { name: limited, match: { path: /limited/** }, upstream: ok, middlewares: [tight] }
            - { name: flaky, match: { path: /flaky/** }, upstream: failing }
            - { name: fresh, match: { path: /fresh/** }, upstream: ok, middlewares: [cors] }
          """;
      assertThat(
              gw.rewrite(
                  config(routes, "  cors: { cors: { allowOrigins: [\"https://a.example\"] } }")))
          .isTrue();
      JsonObject e = awaitEvent("config.reloaded");
      assertThat(e.getMap())
          .containsAllEntriesOf(
              Map.of(
                  "event.reason",
                  "test",
                  "event.outcome",
                  "success",
                  "event.category",
                  "configuration"));
      assertThat(e.getJsonArray("bulwark.config.routes.added")).containsExactly("fresh");
      assertThat(e.getJsonArray("bulwark.config.routes.removed")).containsExactly("old");
      assertThat(e.getJsonArray("bulwark.config.routes.modified")).containsExactly("api");
      assertThat(e.getJsonArray("bulwark.config.middlewares.added")).containsExactly("cors");
      assertThat(e.getJsonArray("bulwark.config.middlewares.modified")).isEmpty();
      assertThat(e.getJsonArray("bulwark.config.upstreams.modified")).isEmpty();
      assertThat(events("config.reloaded")).hasSize(1);

      // a config that does not validate: rejected, audited with every error and its path
      assertThat(
              gw.rewrite(
                  config(
                      ROUTES + "  - { name: broken, match: { path: /b }, upstream: nowhere }\n",
                      "")))
          .isFalse();
      JsonObject f = awaitEvent("config.reload_failed");
      assertThat(f.getString("event.outcome")).isEqualTo("failure");
      JsonArray errors = f.getJsonArray("bulwark.config.errors");
      assertThat(errors.stream().map(String::valueOf))
          .anySatisfy(s -> assertThat(s).contains("routes[4].upstream").contains("nowhere"));
      assertThat(f.getLong("event.sequence")).isEqualTo(e.getLong("event.sequence") + 1);
    }
  }

  @Test
  void anAuthenticationFailureIsAuditedWithoutTheCredential() throws Exception {
    try (RunningGateway gw = start()) {
      assertThat(TestSupport.get(gw.url("/api/x"), "X-API-Key", WRONG_KEY).statusCode())
          .isEqualTo(401);
      assertThat(TestSupport.get(gw.url("/api/x"), "X-API-Key", KEY).statusCode()).isEqualTo(200);
      JsonObject e = awaitEvent("auth.failure");
      assertThat(e.getMap())
          .containsAllEntriesOf(
              Map.of(
                  "event.category",
                  "authentication",
                  "event.outcome",
                  "failure",
                  "bulwark.route",
                  "api",
                  "bulwark.middleware.name",
                  "keys",
                  "client.ip",
                  "127.0.0.1",
                  "http.response.status_code",
                  401,
                  "url.path",
                  "/api/x"));
      assertThat(e.getString("event.reason")).contains("not valid");
      assertCommonFields(e);
      // a marker after it: the accepted request was not audited, and no line holds the key
      assertThat(
              TestSupport.send(
                      "POST", gw.adminUrl("/routes"), "", "Authorization", "Bearer " + ADMIN_TOKEN)
                  .statusCode())
          .isEqualTo(405);
      awaitEvent("admin.call");
      assertThat(events("auth.failure")).hasSize(1);
      String all = Files.readString(auditFile());
      assertThat(all).doesNotContain(WRONG_KEY).doesNotContain(KEY).doesNotContain(ADMIN_TOKEN);
    }
  }

  @Test
  void aBreakerOpeningIsAudited() throws Exception {
    try (RunningGateway gw = start()) {
      for (int i = 0; i < 4; i++)
        assertThat(TestSupport.get(gw.url("/flaky/x")).statusCode()).isEqualTo(500);
      assertThat(TestSupport.get(gw.url("/flaky/x")).statusCode()).isEqualTo(503);
      JsonObject e = awaitEvent("breaker.opened");
      assertThat(e.getMap())
          .containsAllEntriesOf(
              Map.of(
                  "bulwark.upstream.name",
                  "failing",
                  "bulwark.breaker.name",
                  "failing",
                  "bulwark.breaker.from",
                  "closed",
                  "bulwark.breaker.to",
                  "open",
                  "event.category",
                  "network"));
    }
  }

  @Test
  void aRateLimitBurstOverTheThresholdIsAuditedOncePerWindow() throws Exception {
    try (RunningGateway gw = start()) {
      assertThat(TestSupport.get(gw.url("/limited/x")).statusCode()).isEqualTo(200);
      // 2 refusals: under the threshold (3 per hour), nothing yet
      for (int i = 0; i < 2; i++)
        assertThat(TestSupport.get(gw.url("/limited/x")).statusCode()).isEqualTo(429);
      marker(gw, "/first");
      assertThat(events("ratelimit.burst")).isEmpty();
      for (int i = 0; i < 10; i++)
        assertThat(TestSupport.get(gw.url("/limited/x")).statusCode()).isEqualTo(429);
      JsonObject e = awaitEvent("ratelimit.burst");
      assertThat(e.getMap())
          .containsAllEntriesOf(
              Map.of(
                  "bulwark.route",
                  "limited",
                  "bulwark.middleware.name",
                  "tight",
                  "bulwark.ratelimit.rejected",
                  4,
                  "bulwark.ratelimit.threshold",
                  3,
                  "bulwark.ratelimit.window_seconds",
                  3600.0));
      marker(gw, "/second");
      assertThat(events("ratelimit.burst"))
          .as("one event for the window, however many refusals follow")
          .hasSize(1);
      assertThat(events("auth.failure")).as("a 429 is not an authentication failure").isEmpty();
    }
  }

  /** An audited admin call, awaited: every event queued before it is in the file once it is. */
  private void marker(RunningGateway gw, String path) throws Exception {
    assertThat(
            TestSupport.send(
                    "DELETE", gw.adminUrl(path), null, "Authorization", "Bearer " + ADMIN_TOKEN)
                .statusCode())
        .isEqualTo(405);
    awaitEvent("admin.call", e -> path.equals(e.getString("url.path")));
  }

  @Test
  void refusedAndWritingAdminCallsAreAuditedAndReadsAreNot() throws Exception {
    try (RunningGateway gw = start()) {
      assertThat(
              TestSupport.get(gw.adminUrl("/routes"), "Authorization", "Bearer " + ADMIN_TOKEN)
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              TestSupport.get(
                      gw.adminUrl("/routes"), "Authorization", "Bearer not-the-token-at-all")
                  .statusCode())
          .isEqualTo(401);
      JsonObject e = awaitEvent("admin.call");
      assertThat(e.getMap())
          .containsAllEntriesOf(
              Map.of(
                  "http.request.method",
                  "GET",
                  "url.path",
                  "/routes",
                  "http.response.status_code",
                  401,
                  "source.ip",
                  "127.0.0.1",
                  "event.outcome",
                  "failure",
                  "event.category",
                  "web"));
      marker(gw, "/marker");
      assertThat(events("admin.call")).as("the accepted GET is not audited").hasSize(2);
      assertThat(Files.readString(auditFile()))
          .doesNotContain("not-the-token-at-all")
          .doesNotContain(ADMIN_TOKEN);
      List<JsonObject> all = events(auditFile());
      for (int i = 1; i < all.size(); i++) {
        assertThat(all.get(i).getLong("event.sequence"))
            .isEqualTo(all.get(i - 1).getLong("event.sequence") + 1);
      }
    }
  }

  static void assertCommonFields(JsonObject e) {
    assertThat(e.getString("@timestamp"))
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(e.getString("event.kind")).isEqualTo("event");
    assertThat(e.getString("event.dataset")).isEqualTo("bulwark.audit");
    assertThat(e.getLong("event.sequence")).isPositive();
    assertThat(e.getString("service.name")).isEqualTo("bulwark");
    assertThat(e.getString("service.id")).isNotBlank();
    assertThat(e.getString("host.name")).isNotBlank();
  }
}
