package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.Upstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Runs the real `bulwark run` in a child JVM and sends it a real SIGTERM. */
class ShutdownIT {
  @Test
  void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
    AtomicInteger arrived = new AtomicInteger();
    // the upstream answers 1.5 s after each request arrives, so requests are in flight at SIGTERM
    try (Upstream slow = new Upstream("slow", req -> {
      arrived.incrementAndGet();
      io.vertx.core.Vertx.currentContext().owner().setTimer(1500, t -> req.response().end("ok"));
    })) {
      int port = TestSupport.freePort();
      int admin = TestSupport.freePort();
      Path dir = Files.createTempDirectory("bulwark-shutdown");
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(cfg, """
          server:
            listen: "127.0.0.1:%d"
            shutdown: { gracePeriod: 10s }
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
          """.formatted(port, admin, slow.url()));
      String java = ProcessHandle.current().info().command().orElse("java");
      Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-Dio.netty.leakDetection.level=paranoid",
          "bulwark.cli.Main", "run", "--no-watch", "-c", cfg.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
      try {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
            .until(() -> TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode() == 200);
        // SIGHUP reloads (the file watcher is off here): a new route appears
        assertThat(TestSupport.get("http://127.0.0.1:" + port + "/nope").statusCode()).isEqualTo(200);
        Files.writeString(cfg, Files.readString(cfg).replace("path: /**", "path: /work/**"));
        new ProcessBuilder("kill", "-HUP", String.valueOf(p.pid())).start().waitFor();
        await().atMost(Duration.ofSeconds(10)).until(() -> TestSupport.get("http://127.0.0.1:" + port + "/nope").statusCode() == 404);
        arrived.set(0);
        // a kept-alive HTTP/1.1 connection with a request in flight gets Connection: close
        Socket keepAlive = new Socket("127.0.0.1", port);
        keepAlive.setSoTimeout(15_000);
        keepAlive.getOutputStream().write("GET /work/ka HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        int n = 16;
        List<HttpResponse<String>> done = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          ts.add(Thread.ofPlatform().start(() -> {
            try {
              done.add(TestSupport.get("http://127.0.0.1:" + port + "/work"));
            } catch (Exception e) {
              errors.add(e);
            }
          }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == n + 1);
        p.destroy(); // SIGTERM
        // readiness turns 503 at once, while the in-flight requests are still running
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
            .until(() -> TestSupport.get("http://127.0.0.1:" + admin + "/health/ready").statusCode() == 503);
        // new connections are refused
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> !connects(port));
        for (Thread t : ts) t.join(20_000);
        String head = new String(keepAlive.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        keepAlive.close();
        assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("ok");
        assertThat(errors).isEmpty();
        assertThat(done).hasSize(n).allSatisfy(r -> {
          assertThat(r.statusCode()).isEqualTo(200);
          assertThat(r.body()).isEqualTo("ok");
        });
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(0);
        String out = Files.readString(dir.resolve("out.log"));
        assertThat(out).contains("shutdown complete").doesNotContain("LEAK:");
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 500)).isInstanceOf(IOException.class);
      } finally {
        p.destroyForcibly();
      }
    }
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
