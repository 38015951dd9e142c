package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/** Runs the real `bulwark run` in a child JVM and sends it a real SIGTERM. */
class ShutdownIT {
  @Test
  void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
    AtomicInteger arrived = new AtomicInteger();
    // the upstream holds its answers to /work until the test releases them, so requests are in
    // flight at SIGTERM
    Held held = new Held();
    try (Upstream slow =
        new Upstream(
            "slow",
            req -> {
              arrived.incrementAndGet();
              if (req.path().startsWith("/work")) held.add(req);
              else req.response().end("ok");
            })) {
      int port = TestSupport.freePort();
      int admin = TestSupport.freePort();
      Path dir = Files.createTempDirectory("bulwark-shutdown");
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(
          cfg,
          """
          server:
            listen: "127.0.0.1:%d"
            shutdown: { gracePeriod: 60s }
            warmup: 0s
          admin:
            listen: "127.0.0.1:%d"
          observability:
            accessLog: { enabled: false }
          upstreams:
            slow: { targets: [ { url: %s } ] }
          routes:
            - name: slow
              match: { path: /** }
              upstream: slow
          """
              .formatted(port, admin, slow.url()));
      Process p = startChild(cfg, dir.resolve("out.log"));
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode()
                        == 200);
        // SIGHUP reloads (the file watcher is off here): a new route appears
        assertThat(TestSupport.get("http://127.0.0.1:" + port + "/nope").statusCode())
            .isEqualTo(200);
        Files.writeString(cfg, Files.readString(cfg).replace("path: /**", "path: /work/**"));
        new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor();
        try {
          await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () -> TestSupport.get("http://127.0.0.1:" + port + "/nope").statusCode() == 404);
        } catch (ConditionTimeoutException e) {
          // seen once in CI: say what the gateway logged about the SIGHUP
          throw new AssertionError(
              "SIGHUP did not reload; gateway log:\n" + Files.readString(dir.resolve("out.log")),
              e);
        }
        arrived.set(0);
        // a kept-alive HTTP/1.1 connection with a request in flight gets Connection: close
        Socket keepAlive = new Socket("127.0.0.1", port);
        keepAlive.setSoTimeout(60_000);
        keepAlive
            .getOutputStream()
            .write("GET /work/ka HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        int n = 16;
        List<HttpResponse<String>> done = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          ts.add(
              Thread.ofPlatform()
                  .start(
                      () -> {
                        try {
                          done.add(TestSupport.get("http://127.0.0.1:" + port + "/work"));
                        } catch (Exception e) {
                          errors.add(e);
                        }
                      }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> arrived.get() == n + 1);
        p.destroy(); // SIGTERM
        // readiness turns 503 while the in-flight requests are still running (the upstream holds
        // them)
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(
                () ->
                    TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode()
                        == 503);
        // new connections are refused
        await().atMost(Duration.ofSeconds(30)).until(() -> !connects(port));
        held.releaseAll();
        for (Thread t : ts) t.join(30_000);
        String head =
            new String(keepAlive.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        keepAlive.close();
        assertThat(head)
            .startsWith("HTTP/1.1 200")
            .containsIgnoringCase("connection: close")
            .endsWith("ok");
        assertThat(errors).isEmpty();
        assertThat(done)
            .hasSize(n)
            .allSatisfy(
                r -> {
                  assertThat(r.statusCode()).isEqualTo(200);
                  assertThat(r.body()).isEqualTo("ok");
                });
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(0);
        String out = Files.readString(dir.resolve("out.log"));
        assertThat(out).contains("shutdown complete").doesNotContain("LEAK:");
        assertThatThrownBy(
                () -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 500))
            .isInstanceOf(IOException.class);
      } finally {
        p.destroyForcibly();
      }
    }
  }

  /**
   * The drain window: an idle kept-alive HTTP/1.1 connection stays open after SIGTERM, and the
   * request its client still sends is answered in full with Connection: close (before, the
   * connection got a FIN at once and the request "closed before response"); an HTTP/2 client gets
   * GOAWAY and its stream in flight finishes. When no connection is left the drain ends before its
   * window does.
   */
  @Test
  void idleKeepAliveConnectionsAreServedDuringTheDrainWindowAndHttp2GetsGoAway() throws Exception {
    Held held = new Held();
    try (Upstream up =
        new Upstream(
            "up",
            req -> {
              if (req.path().startsWith("/slow")) held.add(req);
              else req.response().end("ok");
            })) {
      int port = TestSupport.freePort();
      int admin = TestSupport.freePort();
      Path dir = Files.createTempDirectory("bulwark-drain");
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(
          cfg,
          """
          server:
            listen: "127.0.0.1:%d"
            shutdown: { gracePeriod: 240s, drainWindow: 180s }
            warmup: 0s
          admin:
            listen: "127.0.0.1:%d"
          observability:
            accessLog: { enabled: false }
          upstreams:
            up: { targets: [ { url: %s } ] }
          routes:
            - name: all
              match: { path: /** }
              upstream: up
          """
              .formatted(port, admin, up.url()));
      Process p = startChild(cfg, dir.resolve("out.log"));
      io.vertx.core.Vertx cv = io.vertx.core.Vertx.vertx();
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode()
                        == 200);
        // an HTTP/1.1 client with a kept-alive connection, idle after its first request
        ItClients.RawConnection idle = new ItClients.RawConnection(port);
        idle.socket.setSoTimeout(60_000);
        ItClients.RawResponse first = idle.exchange("GET /fast/1 HTTP/1.1", "Host: gw");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("Connection")).isNull();
        // an HTTP/2 client with a stream in flight
        io.vertx.core.http.HttpClientAgent h2 =
            cv.createHttpClient(
                new io.vertx.core.http.HttpClientOptions()
                    .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false));
        io.vertx.core.http.HttpClientConnection conn =
            h2.connect(
                    new io.vertx.core.http.HttpConnectOptions().setHost("127.0.0.1").setPort(port))
                .await(30, TimeUnit.SECONDS);
        java.util.concurrent.atomic.AtomicReference<io.vertx.core.http.GoAway> goAway =
            new java.util.concurrent.atomic.AtomicReference<>();
        conn.goAwayHandler(
            ga -> {
              // Vert.x (5.1.10) hands the handler a copy of the GOAWAY's debug data in a pooled
              // direct
              // buffer that nothing releases: released here, or the leak detector reports it in a
              // later test
              ((io.vertx.core.internal.buffer.BufferInternal) ga.getDebugData()).unwrap().release();
              goAway.set(ga);
            });
        io.vertx.core.Future<String> stream =
            conn.request(new io.vertx.core.http.RequestOptions().setURI("/slow/h2"))
                .compose(
                    q ->
                        q.send()
                            .compose(
                                r ->
                                    r.body()
                                        .map(b -> r.version() + " " + r.statusCode() + " " + b)));
        await().atMost(Duration.ofSeconds(30)).until(() -> held.size() == 1);

        p.destroy(); // SIGTERM
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(
                () ->
                    TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode()
                        == 503);
        JsonObject ready =
            new JsonObject(TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").body());
        assertThat(
                ready.getJsonObject("components").getJsonObject("dataListener").getString("status"))
            .isEqualTo("OUT_OF_SERVICE");
        await().atMost(Duration.ofSeconds(30)).until(() -> goAway.get() != null);
        assertThat(goAway.get().getErrorCode()).isZero();

        // the idle HTTP/1.1 client sends its next request now: answered in full, then closed
        ItClients.RawResponse next = idle.exchange("GET /fast/2 HTTP/1.1", "Host: gw");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ok");
        assertThat(next.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(idle.closedByPeer()).isTrue();
        idle.close();

        // the HTTP/2 stream that was in flight at GOAWAY finishes
        held.releaseAll();
        assertThat(stream.await(30, TimeUnit.SECONDS)).isEqualTo("HTTP_2 200 ok");

        // no client connection left: the drain ends long before its 180 s window
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(0);
        assertThat(Files.readString(dir.resolve("out.log")))
            .contains("shutdown complete")
            .doesNotContain("LEAK:");
      } finally {
        p.destroyForcibly();
        cv.close();
      }
    }
  }

  /**
   * At the end of the drain window the connections that stayed idle are closed, well before the
   * grace period ends.
   */
  @Test
  void connectionsStillIdleAtTheEndOfTheDrainWindowAreClosed() throws Exception {
    try (Upstream up = new Upstream("up");
        TestSupport.RunningGateway gw =
            TestSupport.RunningGateway.start(
                TestSupport.head()
                        .replace("gracePeriod: 5s", "gracePeriod: 300s, drainWindow: 1s")
                        // neither the idle timeout nor the slowloris guard may be what closes them
                        // here
                        .replace(
                            "server:\n",
                            "server:\n  limits: { idleTimeout: 10m, requestHeaderTimeout: 10m }\n")
                    + """
             upstreams:
               up: { targets: [ { url: %s } ] }
             routes:
               - name: all
                 match: { path: /** }
                 upstream: up
             """
                        .formatted(up.url()))) {
      ItClients.RawConnection idle = new ItClients.RawConnection(gw.port);
      ItClients.RawConnection silent =
          new ItClients.RawConnection(gw.port); // connected, never sends a byte
      idle.socket.setSoTimeout(120_000);
      silent.socket.setSoTimeout(120_000);
      assertThat(idle.exchange("GET /a HTTP/1.1", "Host: gw").status()).isEqualTo(200);
      Thread stopper = Thread.ofPlatform().start(gw.gateway::shutdown);
      // without the end of the window they would stay open until the 300 s grace period ends
      assertThat(idle.closedByPeer()).isTrue();
      assertThat(silent.closedByPeer()).isTrue();
      stopper.join(120_000);
      assertThat(stopper.isAlive()).isFalse();
      idle.close();
      silent.close();
    }
  }

  /** Upstream requests held until the test releases them (each answered "ok"). */
  static final class Held {
    private final List<io.vertx.core.http.HttpServerRequest> requests = new ArrayList<>();
    private boolean released;

    synchronized void add(io.vertx.core.http.HttpServerRequest req) {
      if (released) req.response().end("ok");
      else requests.add(req);
    }

    synchronized int size() {
      return requests.size();
    }

    synchronized void releaseAll() {
      for (var r : requests) r.response().end("ok");
      requests.clear();
    }

    /** From now on requests are answered at once. */
    synchronized void open() {
      released = true;
      releaseAll();
    }
  }

  static Process startChild(Path cfg, Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    // a test run started with SIGHUP ignored (nohup) passes that on to the child, whose JVM then
    // cannot handle it: python resets it to the default before it runs java
    cmd.addAll(
        List.of(
            "python3",
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_DFL);"
                + " os.execvp(sys.argv[1], sys.argv[1:])"));
    cmd.addAll(
        List.of(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            "-Dio.netty.leakDetection.level=paranoid",
            "bulwark.cli.Main",
            "run",
            "--no-watch",
            "-c",
            cfg.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static boolean connects(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
