package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admin /metrics after known traffic through a real gateway to real loopback upstreams: exact
 * counts and labels.
 */
class MetricsIT {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }

  private <T extends AutoCloseable> T keep(T c) {
    open.add(c);
    return c;
  }

  private Upstream ok() {
    return keep(new Upstream("good"));
  }

  private Upstream failing() {
    return keep(new Upstream("bad", req -> req.response().setStatusCode(500).end("down")));
  }

  private static String deadUrl() {
    return "http://127.0.0.1:" + TestSupport.freePort();
  }

  private String config(Upstream good, Upstream bad, String dead) {
    return config(good, bad, dead, bad);
  }

  private String config(Upstream good, Upstream bad, String dead, Upstream bad2) {
    return TestSupport.head()
        + """
        upstreams:
          good: { targets: [ { url: %s } ] }
          bad:
            targets: [ { url: %s } ]
            circuitBreaker: { window: 4, minimumCalls: 4, openFor: 1m }
          flaky:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck: { passive: { consecutiveFailures: 1, ejectFor: 1m } }
            retry: { attempts: 2, on: [connect_failure], backoff: 1ms, budget: 100%% }
          stingy:
            targets: [ { url: %s }, { url: %s } ]
            retry: { attempts: 2, on: [500], backoff: 1ms, budget: 0%%, minRetriesPerSecond: 0 }
        middlewares:
          two-per-minute: { rateLimit: { key: route, rate: 2/min } }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: good }
          - { name: broken, match: { path: /broken }, upstream: bad }
          - { name: flaky, match: { path: /flaky }, upstream: flaky }
          - { name: limited, match: { path: /limited }, upstream: good, middlewares: [two-per-minute] }
          - { name: stingy, match: { path: /stingy }, upstream: stingy }
        """
            .formatted(good.url(), bad.url(), dead, good.url(), bad.url(), bad2.url());
  }

  private static int status(String method, String url) throws Exception {
    return TestSupport.send(method, url, null).statusCode();
  }

  @Test
  void requestsTriesRetriesBreakersAndRateLimitsAreCountedExactly() throws Exception {
    Upstream good = ok();
    Upstream bad = failing();
    String dead = deadUrl();
    String deadTarget = dead.substring("http://".length());
    String goodTarget = "127.0.0.1:" + good.port;
    RunningGateway gw = keep(RunningGateway.start(config(good, bad, dead, failing())));

    for (int i = 0; i < 3; i++) assertThat(status("GET", gw.url("/ok/" + i))).isEqualTo(200);
    assertThat(status("POST", gw.url("/ok/p"))).isEqualTo(200);
    assertThat(status("PURGE", gw.url("/ok/x"))).isEqualTo(200);
    assertThat(status("GET", gw.url("/nowhere"))).isEqualTo(404);
    // four 500s fill the breaker's window of 4: it opens, and the fifth request gets 503 without a
    // try
    for (int i = 0; i < 4; i++) assertThat(status("GET", gw.url("/broken"))).isEqualTo(500);
    assertThat(status("GET", gw.url("/broken"))).isEqualTo(503);
    // round robin over {dead, good}: one of the first two requests meets the dead target, which is
    // ejected at once (consecutiveFailures 1); that request is retried on the good target
    for (int i = 0; i < 4; i++) assertThat(status("GET", gw.url("/flaky"))).isEqualTo(200);
    assertThat(
            List.of(
                status("GET", gw.url("/limited")),
                status("GET", gw.url("/limited")),
                status("GET", gw.url("/limited"))))
        .containsExactly(200, 200, 429);
    // two targets answering 500: each 500 would be retried on the other, but a budget of 0% refuses
    assertThat(List.of(status("GET", gw.url("/stingy")), status("GET", gw.url("/stingy"))))
        .containsExactly(500, 500);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Scrape.of(gw).value("bulwark_requests_in_flight") == 0);
    Scrape s = Scrape.of(gw);
    String req = "bulwark_requests_seconds_count";
    assertThat(s.value(req, "route", "ok", "method", "GET", "status", "200", "upstream", "good"))
        .isEqualTo(3);
    assertThat(s.value(req, "route", "ok", "method", "POST", "status", "200", "upstream", "good"))
        .isEqualTo(1);
    assertThat(s.value(req, "route", "ok", "method", "OTHER", "status", "200", "upstream", "good"))
        .isEqualTo(1);
    assertThat(
            s.value(
                req, "route", "unmatched", "method", "GET", "status", "404", "upstream", "none"))
        .isEqualTo(1);
    assertThat(s.value(req, "route", "broken", "status", "500", "upstream", "bad")).isEqualTo(4);
    assertThat(s.value(req, "route", "broken", "status", "503", "upstream", "bad")).isEqualTo(1);
    assertThat(s.value(req, "route", "flaky", "status", "200", "upstream", "flaky")).isEqualTo(4);
    assertThat(s.value(req, "route", "limited", "status", "200", "upstream", "good")).isEqualTo(2);
    assertThat(s.value(req, "route", "limited", "status", "429", "upstream", "none")).isEqualTo(1);
    assertThat(s.value(req, "route", "stingy", "status", "500", "upstream", "stingy")).isEqualTo(2);
    assertThat(s.find(req)).as("no series beyond the traffic sent").hasSize(10);
    // the histogram: the configured buckets, cumulative, +Inf equal to the count
    assertThat(
            s.find("bulwark_requests_seconds_bucket", "route", "ok", "method", "GET").stream()
                .map(x -> x.labels().get("le")))
        .containsExactly(
            "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.3", "0.5",
            "1.0", "2.0", "5.0", "10.0", "+Inf");
    assertThat(
            s.value(
                "bulwark_requests_seconds_bucket", "route", "ok", "method", "GET", "le", "+Inf"))
        .isEqualTo(3);
    assertThat(s.find("bulwark_requests_seconds_max", "route", "ok", "method", "GET")).hasSize(1);

    String att = "bulwark_upstream_attempts_seconds_count";
    assertThat(s.value(att, "upstream", "bad", "target", "127.0.0.1:" + bad.port, "outcome", "5xx"))
        .isEqualTo(4);
    assertThat(s.value(att, "upstream", "flaky", "target", deadTarget, "outcome", "connect"))
        .isEqualTo(1);
    assertThat(s.value(att, "upstream", "flaky", "target", goodTarget, "outcome", "success"))
        .isEqualTo(4);
    assertThat(s.value(att, "upstream", "good", "target", goodTarget, "outcome", "success"))
        .isEqualTo(7);
    assertThat(s.value("bulwark_upstream_errors_total", "upstream", "bad", "kind", "5xx"))
        .isEqualTo(4);
    assertThat(
            s.value(
                "bulwark_upstream_errors_total",
                "upstream",
                "flaky",
                "target",
                deadTarget,
                "kind",
                "connect"))
        .isEqualTo(1);
    assertThat(s.find("bulwark_upstream_errors_total", "upstream", "flaky", "target", goodTarget))
        .isEmpty();
    assertThat(s.value("bulwark_retries_total", "upstream", "flaky")).isEqualTo(1);
    assertThat(s.find("bulwark_retries_total", "upstream", "bad")).isEmpty();
    assertThat(s.value("bulwark_retries_total", "upstream", "stingy")).isEqualTo(0);
    assertThat(s.value("bulwark_retry_budget_exhausted_total", "upstream", "stingy")).isEqualTo(2);
    assertThat(s.value("bulwark_retry_budget_exhausted_total", "upstream", "flaky")).isEqualTo(0);

    String state = "bulwark_circuit_breaker_state";
    assertThat(s.value(state, "upstream", "bad", "breaker", "bad", "state", "open")).isEqualTo(1);
    assertThat(s.value(state, "upstream", "bad", "breaker", "bad", "state", "closed")).isEqualTo(0);
    assertThat(s.find(state, "upstream", "bad")).hasSize(6);
    assertThat(
            s.value(
                "bulwark_circuit_breaker_transitions_total",
                "upstream",
                "bad",
                "breaker",
                "bad",
                "from",
                "closed",
                "to",
                "open"))
        .isEqualTo(1);

    assertThat(s.value("bulwark_target_up", "upstream", "flaky", "target", deadTarget))
        .isEqualTo(0);
    assertThat(s.value("bulwark_target_up", "upstream", "flaky", "target", goodTarget))
        .isEqualTo(1);
    assertThat(s.value("bulwark_upstream_targets_usable", "upstream", "flaky")).isEqualTo(1);
    assertThat(s.value("bulwark_upstream_targets", "upstream", "flaky")).isEqualTo(2);
    assertThat(s.value("bulwark_target_health_score", "upstream", "good", "target", goodTarget))
        .isEqualTo(100);
    assertThat(
            s.value(
                "bulwark_upstream_requests_in_flight", "upstream", "good", "target", goodTarget))
        .isEqualTo(0);
    assertThat(s.value("bulwark_upstream_requests_pending", "upstream", "good")).isEqualTo(0);
    assertThat(s.value("bulwark_upstream_connections_max", "upstream", "good")).isEqualTo(256);

    assertThat(
            s.value(
                "bulwark_ratelimit_requests_total",
                "middleware",
                "two-per-minute",
                "result",
                "allowed"))
        .isEqualTo(2);
    assertThat(
            s.value(
                "bulwark_ratelimit_requests_total",
                "middleware",
                "two-per-minute",
                "result",
                "rejected"))
        .isEqualTo(1);

    for (String jvm :
        List.of(
            "jvm_memory_used_bytes",
            "jvm_threads_live_threads",
            "jvm_classes_loaded_classes",
            "process_cpu_usage",
            "netty_allocator_memory_used")) {
      assertThat(s.find(jvm)).as(jvm).isNotEmpty();
    }
    assertThat(s.text).contains("# TYPE jvm_gc_");
  }

  @Test
  void clientConnectionsAreCountedWhileOpen() throws Exception {
    RunningGateway gw = keep(RunningGateway.start(config(ok(), failing(), deadUrl())));
    double before = Scrape.of(gw).value("bulwark_client_connections");
    try (Socket a = new Socket("127.0.0.1", gw.port);
        Socket b = new Socket("127.0.0.1", gw.port)) {
      // the listener knows an HTTP connection once its first bytes tell HTTP/1.1 from h2c
      for (Socket c : List.of(a, b))
        c.getOutputStream()
            .write(
                "GET /ok/x HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(Scrape.of(gw).value("bulwark_client_connections"))
                      .isEqualTo(before + 2));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(Scrape.of(gw).value("bulwark_client_connections")).isEqualTo(before));
  }

  @Test
  void unmatchedPathsAndUnknownMethodsDoNotGrowTheSeries() throws Exception {
    RunningGateway gw = keep(RunningGateway.start(config(ok(), failing(), deadUrl())));
    assertThat(status("GET", gw.url("/nowhere"))).isEqualTo(404);
    assertThat(status("BREW", gw.url("/ok/x"))).isEqualTo(200);
    assertThat(status("BREW", gw.url("/nowhere"))).isEqualTo(404);
    Scrape first = Scrape.of(gw);
    int series = first.find("bulwark_requests_seconds_count").size();
    int buckets = first.find("bulwark_requests_seconds_bucket").size();
    for (int i = 0; i < 200; i++) {
      String method = i % 2 == 0 ? "GET" : "X-" + i;
      assertThat(status(method, gw.url("/" + UUID.randomUUID() + "/" + i))).isEqualTo(404);
      assertThat(status("M" + i, gw.url("/ok/" + i))).isEqualTo(200);
    }
    Scrape after = Scrape.of(gw);
    assertThat(after.find("bulwark_requests_seconds_count")).hasSize(series);
    assertThat(after.find("bulwark_requests_seconds_bucket")).hasSize(buckets);
    assertThat(
            after.value(
                "bulwark_requests_seconds_count",
                "route",
                "unmatched",
                "method",
                "GET",
                "status",
                "404"))
        .isEqualTo(101);
    assertThat(
            after.value(
                "bulwark_requests_seconds_count",
                "route",
                "unmatched",
                "method",
                "OTHER",
                "status",
                "404"))
        .isEqualTo(101);
    assertThat(
            after.value(
                "bulwark_requests_seconds_count",
                "route",
                "ok",
                "method",
                "OTHER",
                "status",
                "200"))
        .isEqualTo(201);
    assertThat(after.text).doesNotContain("X-1").doesNotContain("M1\"");
  }

  @Test
  void reloadsAreCountedAndStateMetersFollowTheConfig() throws Exception {
    Upstream good = ok();
    Upstream bad = failing();
    String dead = deadUrl();
    RunningGateway gw = keep(RunningGateway.start(config(good, bad, dead)));
    Scrape s = Scrape.of(gw);
    assertThat(s.value("bulwark_config_last_reload_success")).isEqualTo(1);
    assertThat(s.find("bulwark_target_up", "upstream", "flaky")).hasSize(2);
    assertThat(s.find("bulwark_circuit_breaker_state", "upstream", "bad")).hasSize(6);
    assertThat(s.valueOrZero("bulwark_config_reloads_total", "result", "success")).isEqualTo(0);

    // a reload that drops the flaky and bad upstreams and the rate limit
    String smaller =
        TestSupport.head()
            + """
        upstreams:
          good: { targets: [ { url: %s } ] }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: good }
        """
                .formatted(good.url());
    assertThat(gw.rewrite(smaller)).isTrue();
    s = Scrape.of(gw);
    assertThat(s.value("bulwark_config_reloads_total", "result", "success")).isEqualTo(1);
    assertThat(s.value("bulwark_config_last_reload_success")).isEqualTo(1);
    assertThat(s.find("bulwark_target_up", "upstream", "flaky")).isEmpty();
    assertThat(s.find("bulwark_upstream_targets", "upstream", "bad")).isEmpty();
    assertThat(s.find("bulwark_circuit_breaker_state")).isEmpty();
    assertThat(s.find("bulwark_ratelimit_requests_total")).isEmpty();
    assertThat(s.value("bulwark_target_up", "upstream", "good")).isEqualTo(1);

    // a rejected reload: the old config keeps serving
    assertThat(
            gw.rewrite(smaller + "\n  - { name: nope, match: { path: /n }, upstream: missing }\n"))
        .isFalse();
    s = Scrape.of(gw);
    assertThat(s.value("bulwark_config_reloads_total", "result", "failure")).isEqualTo(1);
    assertThat(s.value("bulwark_config_reloads_total", "result", "success")).isEqualTo(1);
    assertThat(s.value("bulwark_config_last_reload_success")).isEqualTo(0);
    assertThat(s.value("bulwark_config_last_reload_timestamp_seconds")).isGreaterThan(1.7e9);

    // and back: the dropped upstreams' meters return
    assertThat(gw.rewrite(config(good, bad, dead))).isTrue();
    s = Scrape.of(gw);
    assertThat(s.find("bulwark_target_up", "upstream", "flaky")).hasSize(2);
    assertThat(s.value("bulwark_config_last_reload_success")).isEqualTo(1);
  }

  @Test
  void openMetricsWhenAskedAndTheContentTypes() throws Exception {
    RunningGateway gw = keep(RunningGateway.start(config(ok(), failing(), deadUrl())));
    HttpResponse<String> text = TestSupport.get(gw.adminUrl("/metrics"));
    assertThat(text.headers().firstValue("Content-Type"))
        .as("%d %s", text.statusCode(), text.body())
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    HttpResponse<String> om =
        TestSupport.get(
            gw.adminUrl("/metrics"), "Accept", "application/openmetrics-text; version=1.0.0");
    assertThat(om.statusCode()).isEqualTo(200);
    assertThat(om.headers().firstValue("Content-Type"))
        .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(om.body()).endsWith("# EOF\n");
  }

  @Test
  void tlsHandshakesAreTimedAndFailuresCounted() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bulwark-metrics-tls");
    TestCerts.Pair ca = TestCerts.ca(dir, "test-ca");
    TestCerts.Pair cert =
        TestCerts.leaf(dir, ca, "a", "a.test", "first", "DNS:a.test", "IP:127.0.0.1");
    Upstream good = ok();
    RunningGateway gw =
        keep(
            RunningGateway.start(
                TlsIT.head(cert)
                    + """
        upstreams:
          good: { targets: [ { url: %s } ] }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: good }
        """
                        .formatted(good.url())));
    Scrape before = Scrape.of(gw);
    double ok = before.value("bulwark_tls_handshake_seconds_count");
    double failed = before.value("bulwark_tls_handshake_failures_total");
    try (javax.net.ssl.SSLSocket s =
        (javax.net.ssl.SSLSocket)
            TestCerts.trusting(ca.cert()).getSocketFactory().createSocket("127.0.0.1", gw.port)) {
      s.setSoTimeout(30_000);
      s.startHandshake();
    }
    // a client that does not trust the certificate aborts the handshake
    try (javax.net.ssl.SSLSocket s =
        (javax.net.ssl.SSLSocket)
            javax.net.ssl.SSLContext.getDefault()
                .getSocketFactory()
                .createSocket("127.0.0.1", gw.port)) {
      s.setSoTimeout(30_000);
      org.assertj.core.api.Assertions.assertThatThrownBy(s::startHandshake)
          .isInstanceOf(javax.net.ssl.SSLException.class);
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Scrape s = Scrape.of(gw);
              assertThat(s.value("bulwark_tls_handshake_seconds_count")).isEqualTo(ok + 1);
              assertThat(s.value("bulwark_tls_handshake_seconds_bucket", "le", "+Inf"))
                  .isEqualTo(ok + 1);
              assertThat(s.value("bulwark_tls_handshake_failures_total")).isEqualTo(failed + 1);
            });
  }

  @Test
  void theAdminTokenGuardsMetrics() throws Exception {
    String token = "t".repeat(40);
    RunningGateway gw =
        keep(
            RunningGateway.start(
                config(ok(), failing(), deadUrl())
                    .replace(
                        "listen: \"127.0.0.1:${ADMIN_PORT}\"",
                        "listen: \"127.0.0.1:${ADMIN_PORT}\"\n  token: \"" + token + "\"")));
    HttpResponse<String> anonymous = TestSupport.get(gw.adminUrl("/metrics"));
    ItClients.assertProblem(anonymous, 401);
    assertThat(anonymous.body()).doesNotContain("bulwark_");
    HttpResponse<String> r =
        TestSupport.get(gw.adminUrl("/metrics"), "Authorization", "Bearer " + token);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new Scrape(r.body()).find("bulwark_requests_in_flight")).hasSize(1);
  }

  @Test
  void disabledMetricsAnswer404Problem() throws Exception {
    Upstream good = ok();
    RunningGateway gw =
        keep(
            RunningGateway.start(
                TestSupport.head()
                        .replace(
                            "accessLog: { enabled: false }",
                            "accessLog: { enabled: false }\n  metrics: { enabled: false }")
                    + """
        upstreams:
          good: { targets: [ { url: %s } ] }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: good }
        """
                        .formatted(good.url())));
    assertThat(status("GET", gw.url("/ok/x"))).isEqualTo(200);
    ItClients.assertProblem(TestSupport.get(gw.adminUrl("/metrics")), 404);
  }
}
