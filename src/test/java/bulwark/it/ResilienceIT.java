package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import bulwark.upstream.UpstreamRuntime;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries, circuit breakers, fallbacks and overload caps, against real loopback upstreams. */
class ResilienceIT {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }

  /** An upstream whose behaviour the test switches: ok, a status such as "503", hang, or reset. */
  private Upstream upstream(String name, AtomicReference<String> mode) {
    Upstream u =
        new Upstream(
            name,
            req -> {
              String m = mode.get();
              switch (m) {
                case "hang" -> {}
                case "reset" -> req.connection().close();
                case "ok" ->
                    req.body()
                        .onSuccess(
                            b ->
                                req.response()
                                    .putHeader("Content-Type", "application/json")
                                    .end(
                                        "{\"upstream\":\""
                                            + name
                                            + "\",\"bytes\":"
                                            + b.length()
                                            + "}"));
                default ->
                    req.body()
                        .onSuccess(
                            b ->
                                req.response()
                                    .setStatusCode(Integer.parseInt(m))
                                    .end("failed by " + name));
              }
            });
    open.add(u);
    return u;
  }

  private RunningGateway gateway(String yaml) throws Exception {
    RunningGateway gw = RunningGateway.start(TestSupport.head() + yaml);
    open.add(gw);
    return gw;
  }

  private static long seenBy(Upstream u) {
    return u.seen.size();
  }

  private static String deadUrl() {
    return "http://127.0.0.1:" + TestSupport.freePort();
  }

  @Test
  void aRetryGoesToAnotherTargetAfterAConnectFailureOrARetryableStatus() throws Exception {
    Upstream bad = upstream("bad", new AtomicReference<>("503"));
    Upstream good = upstream("good", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s }, { url: %s } ]
            retry: { attempts: 3, on: [connect_failure, 503], backoff: 1ms, budget: 100%% }
        routes:
          - { name: r, match: { path: /r/** }, upstream: u }
        """
                .formatted(deadUrl(), bad.url(), good.url()));
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> r = TestSupport.get(gw.url("/r/" + i));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"upstream\":\"good\"");
    }
    // each request reached the failing target at most once: a retry goes to a target not tried yet
    Map<String, Integer> perRequest = new HashMap<>();
    bad.seen.forEach(s -> perRequest.merge(s.headers().get("X-Request-Id"), 1, Integer::sum));
    assertThat(perRequest.values()).allMatch(n -> n == 1);
    assertThat(perRequest)
        .as("round robin sent some first tries to the failing target")
        .hasSizeGreaterThan(5);
    assertThat(seenBy(good)).isEqualTo(30);
  }

  @Test
  void aPostIsRetriedOnAStatusOnlyWhenTheRouteOptsInAndItsBodyIsReplayed() throws Exception {
    Upstream bad = upstream("bad", new AtomicReference<>("503"));
    Upstream good = upstream("good", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            retry: { attempts: 2, on: [503], backoff: 1ms, budget: 100%%, maxBufferedBody: 1KiB }
        routes:
          - { name: plain, match: { path: /plain }, upstream: u }
          - { name: optin, match: { path: /optin }, upstream: u, retryNonIdempotent: true }
        """
                .formatted(bad.url(), good.url()));
    String body = "x".repeat(1000);
    int refused = 0;
    for (int i = 0; i < 10; i++) {
      if (TestSupport.send("POST", gw.url("/plain"), body).statusCode() == 503) refused++;
    }
    assertThat(refused).as("a POST that met the failing target is not retried").isGreaterThan(0);
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = TestSupport.send("POST", gw.url("/optin"), body);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getInteger("bytes"))
          .as("the replayed body arrives whole")
          .isEqualTo(1000);
    }
    // over maxBufferedBody the body is not kept, so even the opted-in route cannot replay it
    int big = 0;
    for (int i = 0; i < 10; i++) {
      if (TestSupport.send("POST", gw.url("/optin"), "y".repeat(4096)).statusCode() == 503) big++;
    }
    assertThat(big).isGreaterThan(0);
  }

  @Test
  void aConnectFailureIsRetriedEvenForAPostBecauseNothingWasSent() throws Exception {
    Upstream good = upstream("good", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            retry: { attempts: 2, on: [connect_failure], backoff: 1ms, budget: 100%% }
        routes:
          - { name: r, match: { path: /r }, upstream: u }
        """
                .formatted(deadUrl(), good.url()));
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = TestSupport.send("POST", gw.url("/r"), "hello");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getInteger("bytes")).isEqualTo(5);
    }
  }

  @Test
  void aHangingTargetCostsOnlyThePerTryTimeout() throws Exception {
    Upstream hang = upstream("hang", new AtomicReference<>("hang"));
    Upstream good = upstream("good", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            timeouts: { response: 30s }
            retry: { attempts: 2, on: [timeout, reset], backoff: 1ms, budget: 100%%, perTryTimeout: 200ms }
        routes:
          - { name: r, match: { path: /r }, upstream: u, timeout: 20s }
        """
                .formatted(hang.url(), good.url()));
    for (int i = 0; i < 6; i++)
      assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(200);
    assertThat(seenBy(hang)).isGreaterThan(0);
  }

  @Test
  void aTargetThatResetsItsConnectionsIsRetriedElsewhereAndEjected() throws Exception {
    Upstream reset = upstream("reset", new AtomicReference<>("reset"));
    Upstream good = upstream("good", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s } ]
            healthCheck: { passive: { consecutiveFailures: 3, ejectFor: 1m } }
            retry: { attempts: 2, on: [reset], backoff: 1ms, budget: 100%% }
        routes:
          - { name: r, match: { path: /r }, upstream: u }
        """
                .formatted(reset.url(), good.url()));
    for (int i = 0; i < 20; i++)
      assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(200);
    assertThat(seenBy(reset)).as("ejected after 3 resets in a row, then left alone").isEqualTo(3);
    assertThat(seenBy(good)).isEqualTo(20);
  }

  @Test
  void retriesNeverExceedTheBudget() throws Exception {
    AtomicReference<String> mode = new AtomicReference<>("503");
    Upstream a = upstream("a", mode);
    Upstream b = upstream("b", mode);
    Upstream c = upstream("c", mode);
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s }, { url: %s }, { url: %s } ]
            retry: { attempts: 3, on: [503], backoff: 1ms, budget: 20%%, minRetriesPerSecond: 0 }
        routes:
          - { name: r, match: { path: /r }, upstream: u }
        """
                .formatted(a.url(), b.url(), c.url()));
    for (int i = 0; i < 100; i++)
      assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(503);
    long tries = seenBy(a) + seenBy(b) + seenBy(c);
    assertThat(tries - 100).as("retries, counted at the upstreams").isBetween(1L, 20L);
  }

  @Test
  void anOpenBreakerAnswersAtOnceWithRetryAfterAndHalfOpenProbesCloseItAgain() throws Exception {
    AtomicReference<String> mode = new AtomicReference<>("500");
    Upstream u = upstream("u", mode);
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s } ]
            circuitBreaker: { window: 10, minimumCalls: 5, openFor: 1s, halfOpenCalls: 2 }
        routes:
          - { name: r, match: { path: /r }, upstream: u }
        """
                .formatted(u.url()));
    for (int i = 0; i < 5; i++)
      assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(500);
    HttpResponse<String> r = TestSupport.get(gw.url("/r"));
    JsonObject p = assertProblem(r, 503);
    assertThat(p.getString("detail")).contains("circuit breaker").contains("'u'");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    for (int i = 0; i < 20; i++)
      assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(503);
    assertThat(seenBy(u)).as("no request reached the upstream while open").isEqualTo(5);
    JsonObject admin = new JsonObject(TestSupport.get(gw.adminUrl("/upstreams")).body());
    assertThat(
            admin
                .getJsonObject("upstreams")
                .getJsonObject("u")
                .getJsonObject("circuitBreaker")
                .getString("state"))
        .isEqualTo("OPEN");
    mode.set("ok");
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> TestSupport.get(gw.url("/r")).statusCode() == 200);
    assertThat(TestSupport.get(gw.url("/r")).statusCode()).isEqualTo(200);
    assertThat(upstream(gw, "u").breakerFor("r").state()).isEqualTo("CLOSED");
  }

  private static UpstreamRuntime upstream(RunningGateway gw, String name) {
    return gw.gateway.snapshot().table().upstreams().get(name);
  }

  @Test
  void whileOpenTheRouteFallbackAnswersStaticallyOrFromAnotherUpstream() throws Exception {
    Upstream main = upstream("main", new AtomicReference<>("502"));
    Upstream spare = upstream("spare", new AtomicReference<>("ok"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          main:
            targets: [ { url: %s } ]
            circuitBreaker: { window: 4, minimumCalls: 4, openFor: 1m, scope: route }
          spare:
            targets: [ { url: %s } ]
        routes:
          - name: static
            match: { path: /static }
            upstream: main
            fallback: { status: 200, headers: { Content-Type: application/json, X-Fallback: "yes" }, body: '{"items":[]}' }
          - name: other
            match: { path: /other }
            upstream: main
            fallback: { upstream: spare }
        """
                .formatted(main.url(), spare.url()));
    for (int i = 0; i < 4; i++)
      assertThat(TestSupport.get(gw.url("/static")).statusCode()).isEqualTo(502);
    HttpResponse<String> r = TestSupport.get(gw.url("/static"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"items\":[]}");
    assertThat(r.headers().firstValue("X-Fallback")).hasValue("yes");
    // scope route: the other route's breaker is still closed
    assertThat(TestSupport.get(gw.url("/other")).statusCode()).isEqualTo(502);
    for (int i = 0; i < 3; i++) TestSupport.get(gw.url("/other"));
    HttpResponse<String> f = TestSupport.get(gw.url("/other"));
    assertThat(f.statusCode()).isEqualTo(200);
    assertThat(f.body()).contains("\"upstream\":\"spare\"");
    assertThat(seenBy(main)).isEqualTo(8);
  }

  @Test
  void pastMaxInFlightARequestIsRefusedAtOnce() throws Exception {
    Upstream hang = upstream("hang", new AtomicReference<>("hang"));
    RunningGateway gw =
        gateway(
            """
        upstreams:
          u:
            targets: [ { url: %s } ]
            timeouts: { response: 20s }
            overload: { maxInFlight: 2 }
        routes:
          - { name: r, match: { path: /r }, upstream: u }
        """
                .formatted(hang.url()));
    List<CompletableFuture<HttpResponse<String>>> hanging = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      hanging.add(
          TestSupport.HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(gw.url("/r"))).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> seenBy(hang) == 2);
    HttpResponse<String> r = TestSupport.get(gw.url("/r"));
    assertThat(assertProblem(r, 503).getString("detail")).contains("maxInFlight");
    assertThat(seenBy(hang)).isEqualTo(2);
    hanging.forEach(h -> h.cancel(true));
  }
}
