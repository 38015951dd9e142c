package bulwark.server;

import static bulwark.it.TestSupport.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The start-up warm-up (server.warmup): readiness waits for it while the listener serves clients,
 * the configured upstreams see none of it, its marker cannot be used from outside, and a warm-up
 * that fails is logged and the gateway gets ready anyway.
 */
class WarmupIT {
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private Logger warmupLogger;

  @BeforeEach
  void captureTheWarmupLog() {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    log.setContext(lc);
    log.start();
    warmupLogger = lc.getLogger(Warmup.class.getName());
    warmupLogger.addAppender(log);
  }

  @AfterEach
  void release() {
    warmupLogger.detachAppender(log);
    log.stop();
    System.clearProperty("bulwark.warmup.stubHost");
    Warmup.compileClock = null;
  }

  private static String config(String warmup, int upstreamPort) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          warmup: %s
          shutdown: { gracePeriod: 1s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
          metrics: { enabled: true }
        upstreams:
          api:
            targets: [ { url: "http://127.0.0.1:%d" } ]
        routes:
          - name: api
            match: { path: "/api/**" }
            upstream: api
        """
        .formatted(warmup, upstreamPort);
  }

  private static JsonObject warmupOf(HttpResponse<String> ready) {
    return new JsonObject(ready.body()).getJsonObject("components").getJsonObject("warmup");
  }

  private List<String> lines(Level level) {
    return log.list.stream()
        .filter(e -> e.getLevel().equals(level))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void readinessWaitsForTheWarmupWhileClientsAreServedAndTheUpstreamsSeeNothingOfIt()
      throws Exception {
    // a JIT that never settles: the warm-up runs its full 10s
    java.util.concurrent.atomic.AtomicLong busy = new java.util.concurrent.atomic.AtomicLong();
    Warmup.compileClock = () -> busy.addAndGet(1000);
    try (Upstream up = new Upstream("api");
        RunningGateway gw = RunningGateway.start(config("10s", up.port))) {
      // while it runs: readiness 503 naming the warm-up, which is sending requests; liveness 200
      AtomicReference<HttpResponse<String>> during = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                HttpResponse<String> r = get(gw.adminUrl("/health/ready"));
                during.set(r);
                JsonObject w = warmupOf(r);
                return "RUNNING".equals(w.getString("status"))
                    && w.getJsonObject("details").getLong("requests") > 0;
              });
      assertThat(during.get().statusCode()).isEqualTo(503);
      assertThat(new JsonObject(during.get().body()).getString("status"))
          .isEqualTo("OUT_OF_SERVICE");
      assertThat(get(gw.adminUrl("/health/live")).statusCode()).isEqualTo(200);

      // the listener is open meanwhile: a client is served, by the configured upstream
      HttpResponse<String> client = get(gw.url("/api/items/1"));
      assertThat(client.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(client.body()).getString("upstream")).isEqualTo("api");
      // a request with a marker that is not the process's secret is an ordinary request: there
      // is no such route, and the stub is out of reach
      assertThat(get(gw.url("/bulwark-warmup/items/1"), Warmup.HEADER, "0".repeat(32)).statusCode())
          .isEqualTo(404);
      assertThat(gw.gateway.warmup().running()).isTrue();

      // then ready, after a warm-up that sent requests and had none fail
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(gw.adminUrl("/health/ready")).statusCode() == 200);
      JsonObject done = warmupOf(get(gw.adminUrl("/health/ready")));
      assertThat(done.getString("status")).isEqualTo("DONE");
      long sent = done.getJsonObject("details").getLong("requests");
      assertThat(sent).isPositive();
      assertThat(done.getJsonObject("details").getLong("failed")).isZero();

      // the configured upstream saw the client's request and nothing of the warm-up's
      assertThat(up.seen).hasSize(1);
      assertThat(up.seen.peek().uri()).isEqualTo("/api/items/1");
      assertThat(up.seen.peek().headers().contains(Warmup.HEADER)).isFalse();

      // the warm-up's own requests are in none of the gateway's metrics
      String metrics = get(gw.adminUrl("/metrics")).body();
      assertThat(metrics).doesNotContain("bulwark-warmup");

      // once it is over, even the real secret reaches nothing
      String secret = gw.gateway.warmupRun().marker();
      assertThat(get(gw.url("/bulwark-warmup/items/1"), Warmup.HEADER, secret).statusCode())
          .isEqualTo(404);
      HttpResponse<String> withSecret = get(gw.url("/api/items/2"), Warmup.HEADER, secret);
      assertThat(withSecret.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(withSecret.body()).getString("upstream")).isEqualTo("api");

      // progress logged: start, requests done, end
      assertThat(lines(Level.INFO))
          .anySatisfy(
              l -> assertThat(l).startsWith("warm-up: 10s of requests (from the first answer)"))
          .anySatisfy(l -> assertThat(l).startsWith("warm-up done: " + sent + " requests"));
    }
  }

  @Test
  void aWarmupThatFailsIsLoggedWithItsCauseAndTheGatewayGetsReadyAnyway() throws Exception {
    // an address this machine does not have (TEST-NET-1): the stub upstream cannot bind
    System.setProperty("bulwark.warmup.stubHost", "192.0.2.1");
    try (Upstream up = new Upstream("api");
        RunningGateway gw = RunningGateway.start(config("5s", up.port))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(gw.adminUrl("/health/ready")).statusCode() == 200);
      JsonObject w = warmupOf(get(gw.adminUrl("/health/ready")));
      assertThat(w.getString("status")).isEqualTo("FAILED");
      assertThat(w.getJsonObject("details").getString("detail"))
          .contains("the stub upstream could not bind on 192.0.2.1");
      assertThat(lines(Level.WARN))
          .anySatisfy(
              l ->
                  assertThat(l)
                      .startsWith("warm-up failed after 0 requests")
                      .contains("could not bind on 192.0.2.1")
                      .contains("ready without it"));
      assertThat(get(gw.url("/api/items/1")).statusCode()).isEqualTo(200);
      assertThat(up.seen).hasSize(1);
    }
  }

  @Test
  void theWarmupEndsOnceTheJitHasSettled() throws Exception {
    // a JIT with nothing left to compile: the warm-up ends after two quiet seconds, not after 1m
    Warmup.compileClock = () -> 0;
    try (Upstream up = new Upstream("api");
        RunningGateway gw = RunningGateway.start(config("1m", up.port))) {
      await()
          .atMost(Duration.ofSeconds(50))
          .until(() -> get(gw.adminUrl("/health/ready")).statusCode() == 200);
      JsonObject w = warmupOf(get(gw.adminUrl("/health/ready")));
      assertThat(w.getString("status")).isEqualTo("DONE");
      assertThat(w.getJsonObject("details").getLong("requests")).isPositive();
      assertThat(w.getJsonObject("details").getString("detail"))
          .startsWith("the JIT settled before server.warmup was up");
      assertThat(lines(Level.INFO))
          .anySatisfy(l -> assertThat(l).contains("0 ms of JIT compilation in the last second"))
          .anySatisfy(l -> assertThat(l).startsWith("warm-up done: ").contains("the JIT settled"));
      assertThat(up.seen).isEmpty();
    }
  }

  @Test
  void zeroSkipsTheWarmup() throws Exception {
    try (Upstream up = new Upstream("api");
        RunningGateway gw = RunningGateway.start(config("0s", up.port))) {
      // no wait: the gateway is ready as soon as it has started
      HttpResponse<String> ready = get(gw.adminUrl("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(warmupOf(ready).getString("status")).isEqualTo("SKIPPED");
      assertThat(up.seen).isEmpty();
      assertThat(TestSupport.get(gw.url("/api/x")).statusCode()).isEqualTo(200);
    }
  }
}
