package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Alertmanager webhook notifications, as Alertmanager 0.27 sends them, posted to a real gateway's
 * admin POST /alerts: each action's effect on real traffic to loopback upstreams, then its end.
 */
class RemediationIT {
  private static final String TOKEN = "remediation-test-token-0123456789abcdef";

  /** remediation.webhookToken: the only credential POST /alerts takes. */
  static final String WEBHOOK = "alertmanager-webhook-token-0123456789abcdef";

  private final List<AutoCloseable> open = new ArrayList<>();
  private Upstream a1;
  private Upstream a2;
  private Upstream guarded;
  private Upstream plain;
  private RunningGateway gw;

  @BeforeEach
  void start() throws Exception {
    a1 = upstream("a1");
    a2 = upstream("a2");
    guarded = upstream("guarded");
    plain = upstream("plain");
    gw = RunningGateway.start(config(""));
    open.add(gw);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }

  private Upstream upstream(String name) {
    Upstream u = new Upstream(name);
    open.add(u);
    return u;
  }

  /** {@code extra} goes into the guarded upstream's section (a reload that replaces it). */
  private String config(String extra) {
    return TestSupport.head()
            .replace(
                "listen: \"127.0.0.1:${ADMIN_PORT}\"",
                "listen: \"127.0.0.1:${ADMIN_PORT}\"\n  token: \"" + TOKEN + "\"")
        + """
        upstreams:
          pool: { targets: [ { url: %s }, { url: %s } ], healthCheck: { panic: true } }
          guarded:
            targets: [ { url: %s } ]
            circuitBreaker: { openFor: 30s }%s
          plain: { targets: [ { url: %s } ] }
        middlewares:
          limited: { rateLimit: { key: route, rate: 100/min } }
        routes:
          - { name: pool, match: { path: /pool/** }, upstream: pool }
          - { name: guarded, match: { path: /guarded }, upstream: guarded }
          - name: degradable
            match: { path: /degradable }
            upstream: plain
            fallback: { status: 200, headers: { X-Fallback: "yes" }, body: "degraded" }
          - { name: limited, match: { path: /limited }, upstream: plain, middlewares: [limited] }
        remediation:
          webhookToken: "%s"
          rules:
            - { alert: BulwarkTargetErrors, labels: { severity: critical }, action: ejectTarget, expireAfter: 10m }
            - { alert: BulwarkUpstreamFailing, action: openBreaker, upstream: "{{ labels.service }}" }
            - { alert: BulwarkUpstreamSlow, action: useFallback, route: degradable }
            - { alert: BulwarkTrafficSurge, action: tightenRateLimit, factor: 10%%, expireAfter: 1h }
            - { alert: BulwarkBlip, action: useFallback, route: degradable, expireAfter: 1s }
        """
            .formatted(a1.url(), a2.url(), guarded.url(), extra, plain.url(), WEBHOOK);
  }

  /** One notification as Alertmanager 0.27 sends it, with one alert. */
  static JsonObject notification(String status, String fingerprint, Map<String, String> labels) {
    String startsAt = "2026-11-24T20:00:00.000Z";
    JsonObject l = new JsonObject(new LinkedHashMap<>(labels));
    JsonObject alert =
        new JsonObject()
            .put("status", status)
            .put("labels", l)
            .put(
                "annotations",
                new JsonObject()
                    .put(
                        "summary",
                        labels.get("alertname")
                            + " on "
                            + labels.getOrDefault("upstream", "bulwark")))
            .put("startsAt", startsAt)
            .put(
                "endsAt",
                status.equals("firing") ? "0001-01-01T00:00:00Z" : "2026-11-24T20:05:00.000Z")
            .put(
                "generatorURL",
                "http://prometheus.example:9090/graph?g0.expr=rate%28bulwark_upstream_errors_total%5B1m%5D%29+%3E+1&g0.tab=1")
            .put("fingerprint", fingerprint);
    return new JsonObject()
        .put("receiver", "bulwark")
        .put("status", status)
        .put("alerts", new JsonArray().add(alert))
        .put("groupLabels", new JsonObject().put("alertname", labels.get("alertname")))
        .put("commonLabels", l.copy())
        .put("commonAnnotations", alert.getJsonObject("annotations").copy())
        .put("externalURL", "http://alertmanager.example:9093")
        .put("version", "4")
        .put(
            "groupKey",
            "{}/{severity=\"critical\"}:{alertname=\"" + labels.get("alertname") + "\"}")
        .put("truncatedAlerts", 0);
  }

  private HttpResponse<String> post(String body, String contentType) throws Exception {
    return TestSupport.send(
        "POST",
        gw.adminUrl("/alerts"),
        body,
        "Content-Type",
        contentType,
        "Authorization",
        "Bearer " + WEBHOOK);
  }

  private JsonObject notify(JsonObject payload) throws Exception {
    HttpResponse<String> r = post(payload.encode(), "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private JsonObject admin(String path) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl(path), "Authorization", "Bearer " + TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private JsonArray active() throws Exception {
    return admin("/remediations").getJsonArray("active");
  }

  @Test
  void anEjectedTargetGetsNoRequestsUntilTheAlertResolves() throws Exception {
    String target = "127.0.0.1:" + a1.port;
    Map<String, String> labels =
        Map.of(
            "alertname",
            "BulwarkTargetErrors",
            "severity",
            "critical",
            "upstream",
            "pool",
            "target",
            target);
    JsonObject res = notify(notification("firing", "3f2a0c1d9b8e7a61", labels));
    assertThat(res.getJsonArray("applied")).hasSize(1);
    JsonObject applied = res.getJsonArray("applied").getJsonObject(0);
    assertThat(applied.getString("action")).isEqualTo("ejectTarget");
    assertThat(applied.getString("upstream")).isEqualTo("pool");
    assertThat(applied.getString("target")).isEqualTo(target);

    a1.seen.clear();
    a2.seen.clear();
    for (int i = 0; i < 20; i++)
      assertThat(TestSupport.get(gw.url("/pool/" + i)).statusCode()).isEqualTo(200);
    assertThat(a1.seen).as("the ejected target").isEmpty();
    assertThat(a2.seen).hasSize(20);
    JsonArray act = active();
    assertThat(act).hasSize(1);
    assertThat(act.getJsonObject(0).getString("expiresAt")).isNotBlank();
    JsonObject pool = admin("/upstreams").getJsonObject("upstreams").getJsonObject("pool");
    assertThat(pool.getInteger("usableTargets")).isEqualTo(1);

    // Alertmanager repeats the notification while the alert fires: nothing more happens
    JsonObject again = notify(notification("firing", "3f2a0c1d9b8e7a61", labels));
    assertThat(again.getJsonArray("applied")).isEmpty();
    assertThat(again.getJsonArray("ignored").getJsonObject(0).getString("reason"))
        .isEqualTo("already active");

    JsonObject resolved = notify(notification("resolved", "3f2a0c1d9b8e7a61", labels));
    assertThat(resolved.getJsonArray("reverted")).hasSize(1);
    assertThat(active()).isEmpty();
    for (int i = 0; i < 20; i++)
      assertThat(TestSupport.get(gw.url("/pool/" + i)).statusCode()).isEqualTo(200);
    assertThat(a1.seen).as("back in rotation").hasSize(10);
  }

  @Test
  void evenPanicModeSendsNothingToEjectedTargets() throws Exception {
    for (Upstream u : List.of(a1, a2)) {
      Map<String, String> labels =
          Map.of(
              "alertname",
              "BulwarkTargetErrors",
              "severity",
              "critical",
              "upstream",
              "pool",
              "target",
              u.url());
      assertThat(
              notify(notification("firing", "fp-" + u.name, labels))
                  .getJsonArray("applied")
                  .getJsonObject(0)
                  .getString("target"))
          .isEqualTo("127.0.0.1:" + u.port);
    }
    assertThat(active()).hasSize(2);
    for (int i = 0; i < 6; i++) assertProblem(TestSupport.get(gw.url("/pool/" + i)), 503);
    assertThat(a1.seen).isEmpty();
    assertThat(a2.seen).isEmpty();
    // the other alert still holds its target out
    notify(
        notification(
            "resolved",
            "fp-a1",
            Map.of("alertname", "BulwarkTargetErrors", "severity", "critical")));
    for (int i = 0; i < 6; i++)
      assertThat(TestSupport.get(gw.url("/pool/" + i)).statusCode()).isEqualTo(200);
    assertThat(a1.seen).hasSize(6);
    assertThat(a2.seen).isEmpty();
  }

  @Test
  void aForcedOpenBreakerRefusesWithRetryAfterAndSurvivesAReloadUntilResolved() throws Exception {
    Map<String, String> labels =
        Map.of("alertname", "BulwarkUpstreamFailing", "service", "guarded", "severity", "page");
    JsonObject res = notify(notification("firing", "9c1e55aa01b2c3d4", labels));
    assertThat(res.getJsonArray("applied").getJsonObject(0).getString("upstream"))
        .isEqualTo("guarded");

    HttpResponse<String> r = TestSupport.get(gw.url("/guarded"));
    assertProblem(r, 503);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(guarded.seen).isEmpty();
    assertThat(breakerState()).isEqualTo("FORCED_OPEN");

    // a reload that replaces the upstream (and so its breaker) keeps the breaker forced open
    assertThat(gw.rewrite(config("\n    timeouts: { response: 20s }"))).isTrue();
    assertProblem(TestSupport.get(gw.url("/guarded")), 503);
    assertThat(guarded.seen).isEmpty();
    assertThat(breakerState()).isEqualTo("FORCED_OPEN");

    assertThat(
            notify(notification("resolved", "9c1e55aa01b2c3d4", labels)).getJsonArray("reverted"))
        .hasSize(1);
    HttpResponse<String> ok = TestSupport.get(gw.url("/guarded"));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(guarded.seen).hasSize(1);
    assertThat(breakerState()).isEqualTo("CLOSED");
  }

  private String breakerState() throws Exception {
    return admin("/upstreams")
        .getJsonObject("upstreams")
        .getJsonObject("guarded")
        .getJsonObject("circuitBreaker")
        .getString("state");
  }

  @Test
  void useFallbackAnswersWithTheRoutesFallbackUntilResolved() throws Exception {
    Map<String, String> labels = Map.of("alertname", "BulwarkUpstreamSlow", "route", "degradable");
    assertThat(notify(notification("firing", "51d0b7e2aa9f0c13", labels)).getJsonArray("applied"))
        .hasSize(1);
    HttpResponse<String> r = TestSupport.get(gw.url("/degradable"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("degraded");
    assertThat(r.headers().firstValue("X-Fallback")).hasValue("yes");
    assertThat(plain.seen).isEmpty();

    // a reload that removes the rule keeps the action, and the resolved alert still ends it
    String withoutRule =
        config("")
            .replace(
                "    - { alert: BulwarkUpstreamSlow, action: useFallback, route: degradable }\n",
                "");
    assertThat(withoutRule).doesNotContain("BulwarkUpstreamSlow");
    assertThat(gw.rewrite(withoutRule)).isTrue();
    assertThat(TestSupport.get(gw.url("/degradable")).body()).isEqualTo("degraded");

    assertThat(
            notify(notification("resolved", "51d0b7e2aa9f0c13", labels)).getJsonArray("reverted"))
        .hasSize(1);
    HttpResponse<String> back = TestSupport.get(gw.url("/degradable"));
    assertThat(back.body()).contains("\"upstream\":\"plain\"");
    assertThat(back.headers().firstValue("X-Fallback")).isEmpty();
  }

  @Test
  void aTightenedLimitRefusesAfterTheReducedCountUntilResolved() throws Exception {
    Map<String, String> labels =
        Map.of("alertname", "BulwarkTrafficSurge", "middleware", "limited");
    JsonObject applied =
        notify(notification("firing", "0a0b0c0d0e0f1011", labels))
            .getJsonArray("applied")
            .getJsonObject(0);
    assertThat(applied.getDouble("factor")).isEqualTo(0.1);
    // 100/min at 10%: a bucket of 10
    for (int i = 0; i < 10; i++)
      assertThat(TestSupport.get(gw.url("/limited")).statusCode())
          .as("request %d", i)
          .isEqualTo(200);
    HttpResponse<String> refused = TestSupport.get(gw.url("/limited"));
    assertProblem(refused, 429);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();

    assertThat(
            notify(notification("resolved", "0a0b0c0d0e0f1011", labels)).getJsonArray("reverted"))
        .hasSize(1);
    for (int i = 0; i < 30; i++)
      assertThat(TestSupport.get(gw.url("/limited")).statusCode())
          .as("request %d after", i)
          .isEqualTo(200);
  }

  @Test
  void anActionExpiresByItselfAndTheSameFiringDoesNotBringItBack() throws Exception {
    Map<String, String> labels = Map.of("alertname", "BulwarkBlip", "route", "degradable");
    JsonObject payload = notification("firing", "77aa88bb99cc00dd", labels);
    assertThat(notify(payload).getJsonArray("applied")).hasSize(1);
    assertThat(TestSupport.get(gw.url("/degradable")).body()).isEqualTo("degraded");

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(active()).isEmpty());
    assertThat(TestSupport.get(gw.url("/degradable")).body()).contains("\"upstream\":\"plain\"");
    JsonObject repeat = notify(payload);
    assertThat(repeat.getJsonArray("applied")).isEmpty();
    assertThat(repeat.getJsonArray("ignored").getJsonObject(0).getString("reason"))
        .contains("expired");
    assertThat(TestSupport.get(gw.url("/degradable")).body()).contains("\"upstream\":\"plain\"");

    String metrics = gw.gateway.observability().prometheus().scrape();
    assertThat(metrics)
        .contains(
            "bulwark_remediation_actions_total{action=\"useFallback\",result=\"applied\"} 1.0")
        .contains(
            "bulwark_remediation_actions_total{action=\"useFallback\",result=\"expired\"} 1.0")
        .contains("bulwark_remediation_actions_active{action=\"useFallback\"} 0.0");
  }

  @Test
  void unmatchedAlertsAreIgnoredAndUnknownObjectsRejected() throws Exception {
    JsonObject res =
        notify(
            notification(
                "firing",
                "1111222233334444",
                Map.of("alertname", "SomethingElse", "upstream", "pool")));
    assertThat(res.getJsonArray("applied")).isEmpty();
    assertThat(res.getJsonArray("ignored").getJsonObject(0).getString("reason"))
        .isEqualTo("no rule matches");
    // the rule wants severity=critical
    JsonObject warn =
        notify(
            notification(
                "firing",
                "5555666677778888",
                Map.of(
                    "alertname",
                    "BulwarkTargetErrors",
                    "severity",
                    "warning",
                    "upstream",
                    "pool",
                    "target",
                    "127.0.0.1:" + a1.port)));
    assertThat(warn.getJsonArray("ignored")).hasSize(1);
    JsonObject bad =
        notify(
            notification(
                "firing",
                "99990000aaaabbbb",
                Map.of(
                    "alertname",
                    "BulwarkTargetErrors",
                    "severity",
                    "critical",
                    "upstream",
                    "pool",
                    "target",
                    "127.0.0.1:1")));
    assertThat(bad.getJsonArray("rejected").getJsonObject(0).getString("reason"))
        .isEqualTo("upstream 'pool' has no target '127.0.0.1:1'");
    JsonObject noLabel =
        notify(
            notification("firing", "ccccddddeeeeffff", Map.of("alertname", "BulwarkTrafficSurge")));
    assertThat(noLabel.getJsonArray("rejected").getJsonObject(0).getString("reason"))
        .contains("label 'middleware'");
    assertThat(active()).isEmpty();
    a1.seen.clear();
    for (int i = 0; i < 4; i++) TestSupport.get(gw.url("/pool/" + i));
    assertThat(a1.seen).hasSize(2);
    assertThat(gw.gateway.observability().prometheus().scrape())
        .contains(
            "bulwark_remediation_actions_total{action=\"ejectTarget\",result=\"rejected\"} 1.0");
  }

  @Test
  void badNotificationsGetAProblemAndChangeNothing() throws Exception {
    assertThat(assertProblem(post("{not json", "application/json"), 400).getString("detail"))
        .contains("not valid JSON");
    assertThat(assertProblem(post("[1,2]", "application/json"), 400).getString("detail"))
        .contains("not a JSON object");
    assertThat(
            assertProblem(
                    post("{\"receiver\":\"bulwark\",\"version\":\"4\"}", "application/json"), 400)
                .getString("detail"))
        .contains("alerts: missing");
    String detail =
        assertProblem(
                post(
                    """
        {"version":"4","alerts":[{"status":"burning","labels":{"severity":"critical"}}]}""",
                    "application/json"),
                400)
            .getString("detail");
    assertThat(detail)
        .contains("alerts[0].status: 'burning' is not firing or resolved")
        .contains("alerts[0].labels.alertname: missing");
    assertProblem(
        post(
            notification("firing", "ab", Map.of("alertname", "BulwarkUpstreamSlow")).encode(),
            "text/plain"),
        415);
    String huge = "{\"alerts\":[],\"pad\":\"" + "x".repeat(1 << 20) + "\"}";
    assertThat(post(huge, "application/json").statusCode()).isEqualTo(413);
    HttpResponse<String> get =
        TestSupport.get(gw.adminUrl("/alerts"), "Authorization", "Bearer " + TOKEN);
    assertProblem(get, 405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(active()).isEmpty();
  }

  @Test
  void withoutTheTokenAPostIsRefusedAndActsOnNothing() throws Exception {
    String payload =
        notification(
                "firing",
                "deadbeefdeadbeef",
                Map.of("alertname", "BulwarkUpstreamSlow", "route", "degradable"))
            .encode();
    assertProblem(
        TestSupport.send(
            "POST", gw.adminUrl("/alerts"), payload, "Content-Type", "application/json"),
        401);
    assertProblem(
        TestSupport.send(
            "POST",
            gw.adminUrl("/alerts"),
            payload,
            "Content-Type",
            "application/json",
            "Authorization",
            "Bearer wrong"),
        401);
    // the admin token reads; it does not act
    HttpResponse<String> admin =
        TestSupport.send(
            "POST",
            gw.adminUrl("/alerts"),
            payload,
            "Content-Type",
            "application/json",
            "Authorization",
            "Bearer " + TOKEN);
    assertThat(assertProblem(admin, 401).getString("detail")).contains("remediation.webhookToken");
    assertThat(admin.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer realm=\"bulwark-alerts\"");
    // and the webhook token reads nothing
    assertProblem(
        TestSupport.get(gw.adminUrl("/remediations"), "Authorization", "Bearer " + WEBHOOK), 401);
    assertThat(TestSupport.get(gw.url("/degradable")).body()).contains("\"upstream\":\"plain\"");
    assertThat(active()).isEmpty();
  }
}
