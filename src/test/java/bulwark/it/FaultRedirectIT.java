package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault and redirect middlewares through a running gateway, against a real upstream. */
class FaultRedirectIT {
  static Upstream up;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    up = new Upstream("a", req -> req.response().end("ok"));
    gw =
        RunningGateway.start(
            """
                server:
                  listen: "127.0.0.1:${PORT}"
                  trustedProxies: ["127.0.0.1/32"]
                  shutdown: { gracePeriod: 5s }
                admin:
                  listen: "127.0.0.1:${ADMIN_PORT}"
                observability:
                  accessLog: { enabled: false }
                  metrics: { enabled: true }
                upstreams:
                  a: { targets: [ { url: %s } ] }
                middlewares:
                  drill: { fault: { abort: { percent: 100%%, status: 503 }, onlyWithHeader: X-Drill } }
                  half: { fault: { abort: { percent: 50%%, status: 500 } } }
                  asked: { fault: { allowRequestHeader: true } }
                  to-https: { redirect: { scheme: https } }
                  moved: { redirect: { host: new.example.com, port: 8443, prefix: { from: /old, to: /new }, status: 301 } }
                  fixed: { redirect: { path: /home, status: 302, keepQuery: false } }
                routes:
                  - { name: drill, match: { path: /drill/** }, upstream: a, middlewares: [drill] }
                  - { name: half, match: { path: /half/** }, upstream: a, middlewares: [half] }
                  - { name: asked, match: { path: /asked/** }, upstream: a, middlewares: [asked], timeout: 60s }
                  - { name: short, match: { path: /short/** }, upstream: a, middlewares: [asked], timeout: 300ms }
                  - { name: plain, match: { path: /plain/** }, upstream: a }
                  - { name: secure, match: { path: /secure/** }, upstream: a, middlewares: [to-https] }
                  - { name: moved, match: { path: /old/** }, upstream: a, middlewares: [moved] }
                  - { name: fixed, match: { path: /fixed/** }, upstream: a, middlewares: [fixed] }
                """
                .formatted(up.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (up != null) up.close();
  }

  @BeforeEach
  void clear() {
    up.seen.clear();
  }

  @Test
  void onlyRequestsWithTheHeaderAreFaulted() throws Exception {
    assertThat(TestSupport.get(gw.url("/drill/a")).statusCode()).isEqualTo(200);
    assertThat(up.seen).hasSize(1);
    HttpResponse<String> r = TestSupport.get(gw.url("/drill/a"), "X-Drill", "1");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/problem+json");
    assertThat(up.seen).as("an aborted request never reaches the upstream").hasSize(1);
  }

  @Test
  void theAbortShareStaysWithinItsBinomialBound() throws Exception {
    int n = 400;
    int aborted = 0;
    for (int i = 0; i < n; i++) {
      int s = TestSupport.get(gw.url("/half/x")).statusCode();
      assertThat(s).isIn(200, 500);
      if (s == 500) aborted++;
    }
    // 50% of 400: mean 200, sd 10; 3.9 sd (two-sided 99.99%) is 39
    assertThat(aborted).isBetween(200 - 39, 200 + 39);
    assertThat(up.seen).hasSize(n - aborted);
    Scrape m = Scrape.of(gw);
    assertThat(m.value("bulwark_faults_injected_total", "route", "half", "type", "abort"))
        .isEqualTo(aborted);
  }

  @Test
  void theFaultHeaderIsHonouredOnlyWhereAllowed() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/asked/a"), "X-Bulwark-Fault", "abort=418");
    assertThat(r.statusCode()).isEqualTo(418);
    assertThat(up.seen).isEmpty();
    assertThat(TestSupport.get(gw.url("/asked/a"), "X-Bulwark-Fault", "abort=x").statusCode())
        .as("malformed")
        .isEqualTo(400);
    r = TestSupport.get(gw.url("/plain/a"), "X-Bulwark-Fault", "abort=418");
    assertThat(r.statusCode()).as("a route without the middleware ignores it").isEqualTo(200);
  }

  @Test
  void theRouteTimeoutCutsALongDelay() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/short/a"), "X-Bulwark-Fault", "delay=20s");
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body()).contains("route timeout");
    assertThat(up.seen).as("the delayed request never went upstream").isEmpty();
  }

  @Test
  void aDelayBlocksNoEventLoop() throws Exception {
    HttpRequest delayed =
        HttpRequest.newBuilder(URI.create(gw.url("/asked/slow")))
            .header("X-Bulwark-Fault", "delay=20s")
            .timeout(Duration.ofSeconds(120))
            .build();
    CompletableFuture<HttpResponse<String>> slow =
        TestSupport.HTTP.sendAsync(delayed, HttpResponse.BodyHandlers.ofString());
    // new connections land on every event loop in turn: some share the delayed request's loop
    List<Integer> quick = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      try (HttpClient fresh =
          HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
        HttpRequest q =
            HttpRequest.newBuilder(URI.create(gw.url("/plain/q" + i)))
                .timeout(Duration.ofSeconds(60))
                .build();
        quick.add(fresh.send(q, HttpResponse.BodyHandlers.ofString()).statusCode());
      }
    }
    assertThat(quick).containsOnly(200);
    assertThat(slow).as("the delayed request is still waiting").isNotDone();
    assertThat(slow.get().statusCode()).isEqualTo(200);
  }

  @Test
  void redirects() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/secure/a?x=1"));
    assertThat(r.statusCode()).isEqualTo(308);
    assertThat(r.headers().firstValue("location")).hasValue("https://127.0.0.1/secure/a?x=1");
    r = TestSupport.get(gw.url("/secure/a"), "X-Forwarded-Proto", "https");
    assertThat(r.statusCode()).as("already https behind a trusted proxy").isEqualTo(200);
    up.seen.clear();

    r = TestSupport.get(gw.url("/old/b/c?y=2"));
    assertThat(r.statusCode()).isEqualTo(301);
    assertThat(r.headers().firstValue("location"))
        .hasValue("http://new.example.com:8443/new/b/c?y=2");

    r = TestSupport.get(gw.url("/fixed/z?y=2"));
    assertThat(r.statusCode()).isEqualTo(302);
    assertThat(r.headers().firstValue("location"))
        .hasValue("http://127.0.0.1:" + gw.port + "/home");
    assertThat(up.seen).as("redirects are answered at the gateway").isEmpty();
  }
}
