package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own upstream keep-alive connections, seen from a real upstream on loopback that
 * counts the connections it accepts and the requests it holds at once.
 */
class UpstreamConnectionsIT {
  static Vertx vertx;
  static HttpServer server;
  static final AtomicInteger accepted = new AtomicInteger();
  static final AtomicInteger open = new AtomicInteger();
  static final AtomicInteger peakOpen = new AtomicInteger();
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    // without h2c, the server sees each connection when it is accepted, not at its first bytes
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
            .connectionHandler(
                c -> {
                  accepted.incrementAndGet();
                  peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                  c.closeHandler(v -> open.decrementAndGet());
                })
            .requestHandler(
                req -> {
                  switch (req.path()) {
                    case "/close" -> req.response().putHeader("Connection", "close").end("closing");
                    case "/slow" -> vertx.setTimer(150, id -> req.response().end("slow"));
                    default -> req.response().end("ok");
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          counted: { targets: [ { url: "http://127.0.0.1:%d" } ], maxConnectionsPerTarget: 2 }
        routes:
          - { name: counted, match: { path: /** }, upstream: counted }
        """
                    .formatted(server.actualPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Each test starts with the gateway's idle connections closed, so it counts only its own. */
  @BeforeEach
  void noIdleConnections() throws Exception {
    for (int i = 0; i < 2; i++) TestSupport.get(gw.url("/close"));
    await().atMost(Duration.ofSeconds(30)).until(() -> open.get() == 0);
    accepted.set(0);
    peakOpen.set(0);
  }

  @Test
  void sequentialRequestsShareOneKeepAliveConnection() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = TestSupport.get(gw.url("/item/" + i));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
    // one client connection, so one event loop: its one upstream connection served all 20
    assertThat(accepted).hasValue(1);
    assertThat(open).hasValue(1);
  }

  @Test
  void aConnectionTheUpstreamClosesIsNotReused() throws Exception {
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = TestSupport.get(gw.url("/close"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("closing");
      // the gateway's client connection stays open: Connection is the upstream hop's own
      assertThat(r.headers().firstValue("Connection")).isEmpty();
    }
    assertThat(accepted).hasValue(5);
    await().atMost(Duration.ofSeconds(30)).until(() -> open.get() == 0);
    assertThat(TestSupport.get(gw.url("/after")).body()).isEqualTo("ok");
  }

  @Test
  void concurrentRequestsOverTheLimitWaitForAConnection() throws Exception {
    int loops = Runtime.getRuntime().availableProcessors();
    int n = 4 * 2 * loops;
    List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(
          TestSupport.HTTP.sendAsync(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(gw.url("/slow"))).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (var f : fs) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("slow");
    }
    // maxConnectionsPerTarget: 2 per event loop; the other requests waited for one of those
    assertThat(peakOpen.get()).isBetween(1, 2 * loops);
    assertThat(accepted.get()).isLessThanOrEqualTo(2 * loops);
  }
}
