package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebSockets (tunnels) have connections and a cap of their own (upstreams.*.maxTunnelsPerTarget),
 * apart from the pool that serves requests: thousands of open WebSockets never starve a plain
 * request to the same target.
 */
class WebSocketTunnelsIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static Vertx vertx;
  static HttpServer upstream;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    // one target that serves both WebSockets (echo) and plain requests
    upstream =
        vertx
            .createHttpServer()
            .webSocketHandler(ws -> ws.textMessageHandler(t -> ws.writeTextMessage("echo:" + t)))
            .requestHandler(req -> req.response().end("plain"))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().await(30, TimeUnit.SECONDS);
  }

  static String config(String extra) {
    return TestSupport.head()
        + """
        upstreams:
          u: { targets: [ { url: "http://127.0.0.1:%d" } ]%s }
        routes:
          - { name: all, match: { path: /** }, upstream: u }
        """
            .formatted(upstream.actualPort(), extra);
  }

  @Test
  void twoThousandWebSocketsStayOpenWhileAPlainRequestToTheSameTargetIsServed() throws Exception {
    int n = 2000;
    try (RunningGateway gw = RunningGateway.start(config(""))) {
      WebSocketClient client =
          vertx.createWebSocketClient(
              new WebSocketClientOptions().setMaxConnections(n + 100).setConnectTimeout(30_000));
      try {
        List<Future<WebSocket>> opening = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          opening.add(
              client.connect(
                  new WebSocketConnectOptions()
                      .setHost("127.0.0.1")
                      .setPort(gw.port)
                      .setURI("/ws/" + i)
                      .setTimeout(30_000)));
        }
        try {
          Future.join(opening).await(120, TimeUnit.SECONDS);
        } catch (Exception someFailed) {
          // counted below
        }
        List<Throwable> failed =
            opening.stream().filter(Future::failed).map(Future::cause).toList();
        assertThat(opening.stream().filter(Future::succeeded).count())
            .as(
                "WebSockets open of %d; %d failed, the first with %s",
                n, failed.size(), failed.isEmpty() ? null : failed.get(0))
            .isEqualTo(n);

        // with all of them open, a plain request to the same target is served
        HttpResponse<String> plain = TestSupport.get(gw.url("/plain"));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("plain");

        // and the tunnels work: the last one opened echoes
        WebSocket last = opening.get(n - 1).result();
        LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        last.textMessageHandler(texts::add);
        last.writeTextMessage("hello").await(10, TimeUnit.SECONDS);
        assertThat(texts.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:hello");

        Future.join(opening.stream().map(f -> f.result().close()).toList())
            .await(60, TimeUnit.SECONDS);
      } finally {
        client.close().await(30, TimeUnit.SECONDS);
      }
      await().atMost(WAIT).until(() -> gw.gateway.inFlight() == 0);
    }
  }

  static RawResponse handshake(RawConnection c, int i) throws Exception {
    return c.exchange(
        "GET /ws/" + i + " HTTP/1.1",
        "Host: gw",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
  }

  @Test
  void aWebSocketOverTheTunnelCapGets503AndAClosedTunnelFreesItsPlace() throws Exception {
    // one tunnel per event loop: one more WebSocket than there are loops finds its loop full
    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    try (RunningGateway gw = RunningGateway.start(config(", maxTunnelsPerTarget: 1"))) {
      for (int round = 0; round < 3; round++) {
        List<RawConnection> open = new ArrayList<>();
        int upgraded = 0;
        int refused = 0;
        try {
          for (int i = 0; i <= loops; i++) {
            RawConnection c = new RawConnection(gw.port);
            open.add(c);
            RawResponse r = handshake(c, i);
            if (r.status() == 101) {
              upgraded++;
            } else {
              ItClients.assertProblem(r, 503);
              assertThat(r.body()).contains("maxTunnelsPerTarget");
              refused++;
            }
          }
          assertThat(upgraded).as("round %d: upgraded", round).isBetween(1, loops);
          assertThat(refused).as("round %d: refused", round).isPositive();
          // the pool that serves requests is not the tunnels'
          HttpResponse<String> plain = TestSupport.get(gw.url("/plain"));
          assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        } finally {
          for (RawConnection c : open) c.close();
        }
        // every tunnel has closed and given its place back: the next round can open them again
        await().atMost(WAIT).until(() -> gw.gateway.inFlight() == 0);
      }
    }
  }
}
