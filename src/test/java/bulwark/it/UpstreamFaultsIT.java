package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Upstreams that fail after their response head (reset, close, stall, a body shorter than its
 * Content-Length, a reset mid-body), over raw sockets on both sides: a gateway-made error never
 * carries the upstream's headers, a response cut after its head reaches the client as a truncation
 * on a connection that is then closed, and such a target counts as failing.
 */
class UpstreamFaultsIT {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String HEAD_4096 =
      "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nContent-Type: text/plain\r\nX-Upstream: raw\r\n\r\n";

  static RawUpstream raw;
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    raw = new RawUpstream();
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          raw: { targets: [ { url: "http://127.0.0.1:%d" } ], timeouts: { response: 20s } }
        routes:
          - { name: stall, match: { path: /head-stall }, upstream: raw, timeout: 1s }
          - { name: raw, match: { path: /** }, upstream: raw }
        """
                    .formatted(raw.port));
  }

  @AfterAll
  static void stop() throws IOException {
    if (gw != null) gw.close();
    if (raw != null) raw.close();
  }

  /**
   * A loopback HTTP/1.1 server that misbehaves by path. Keep-alive: /ok answers and reads the next
   * request; every other path ends its connection its own way.
   */
  static final class RawUpstream implements AutoCloseable {
    final ServerSocket server;
    final int port;

    /** /mid-reset* waits for a permit (the client has seen body bytes) before it resets. */
    final Semaphore midBody = new Semaphore(0);

    RawUpstream() throws IOException {
      server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
      port = server.getLocalPort();
      Thread.ofVirtual()
          .start(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                  } catch (IOException e) {
                    return;
                  }
                }
              });
    }

    void serve(Socket s) {
      try (s) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        for (; ; ) {
          String path = readHead(in);
          if (path == null) return;
          switch (path) {
            case "/ok" -> {
              out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Upstream: raw\r\n\r\nok"));
              out.flush();
              continue;
            }
            case "/reset" -> reset(s);
            case "/head-reset" -> {
              out.write(ascii(HEAD_4096));
              out.flush();
              reset(s);
            }
            case "/head-close" -> {
              out.write(ascii(HEAD_4096));
              out.flush();
            }
            case "/head-stall" -> {
              out.write(ascii(HEAD_4096));
              out.flush();
              while (in.read() >= 0) {
                // until the gateway gives up on it
              }
            }
            case "/short", "/cut" -> {
              out.write(ascii(HEAD_4096));
              out.write(new byte[100]);
              out.flush();
            }
            case "/mid-reset" -> {
              out.write(ascii(HEAD_4096));
              out.write(new byte[1000]);
              out.flush();
              midBody.acquireUninterruptibly();
              reset(s);
            }
            case "/mid-reset-chunked" -> {
              out.write(
                  ascii(
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Upstream: raw\r\n\r\n3e8\r\n"));
              out.write(new byte[1000]);
              out.write(ascii("\r\n"));
              out.flush();
              midBody.acquireUninterruptibly();
              reset(s);
            }
            default -> {
              out.write(ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
              out.flush();
              continue;
            }
          }
          return;
        }
      } catch (IOException e) {
        // the gateway went away
      }
    }

    /** Closes with SO_LINGER 0: an RST, not a FIN. */
    static void reset(Socket s) throws IOException {
      s.setSoLinger(true, 0);
      s.close();
    }

    /**
     * Reads one request head (no body is sent to it); returns its path, or null at the end of the
     * stream.
     */
    static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      int c;
      while (matched < 4 && (c = in.read()) >= 0) {
        head.write(c);
        matched =
            (c == '\r' && (matched == 0 || matched == 2))
                    || (c == '\n' && (matched == 1 || matched == 3))
                ? matched + 1
                : (c == '\r' ? 1 : 0);
      }
      if (matched < 4) return null;
      String line = head.toString(StandardCharsets.ISO_8859_1).split("\r\n", 2)[0];
      String target = line.split(" ")[1];
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A response head read off a raw socket, the body left in the stream. */
  record Head(int status, MultiMap headers) {}

  static Head readHead(InputStream in) throws IOException {
    String status = line(in);
    assertThat(status).as("a status line").isNotNull();
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      h.add(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
    }
    return new Head(Integer.parseInt(status.split(" ")[1]), h);
  }

  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') return sb.toString().stripTrailing();
      sb.append((char) c);
    }
    return sb.isEmpty() ? null : sb.toString();
  }

  /** Everything until the peer closes (EOF or a reset): what the client got of the body. */
  static byte[] untilClosed(InputStream in) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) all.write(buf, 0, n);
    } catch (java.net.SocketTimeoutException stillOpen) {
      throw new AssertionError(
          "the connection stayed open after " + all.size() + " bytes", stillOpen);
    } catch (IOException reset) {
      // closed with a reset: also the end
    }
    return all.toByteArray();
  }

  /**
   * A clean problem response of the gateway's own: no upstream header, and its body is all of it.
   */
  static void assertCleanProblem(RawResponse r, int status) {
    ItClients.assertProblem(r, status);
    assertThat(r.header("X-Upstream"))
        .as("an upstream header on a gateway-made %d", status)
        .isNull();
    assertThat(Integer.parseInt(r.header("Content-Length")))
        .as("Content-Length of the problem")
        .isEqualTo(r.body().getBytes(StandardCharsets.UTF_8).length);
  }

  // ---- item 7: a failure after the head

  @Test
  void aHeadThenAResetGetsACleanBadGatewayAndTheConnectionGoesOn() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse r = c.exchange("GET /head-reset HTTP/1.1", "Host: gw");
      assertCleanProblem(r, 502);
      // the framing held: the next response on the connection is the next request's
      RawResponse next = c.exchange("GET /ok HTTP/1.1", "Host: gw");
      assertThat(next.status()).isEqualTo(200);
      assertThat(next.body()).isEqualTo("ok");
    }
  }

  @Test
  void aHeadThenACloseGetsACleanBadGateway() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      assertCleanProblem(c.exchange("GET /head-close HTTP/1.1", "Host: gw"), 502);
      assertThat(c.exchange("GET /ok HTTP/1.1", "Host: gw").body()).isEqualTo("ok");
    }
  }

  @Test
  void aHeadThenAStallPastTheRouteTimeoutGetsACleanGatewayTimeout() throws Exception {
    String key = "127.0.0.1:" + raw.port;
    double before =
        Scrape.of(gw)
            .find("bulwark_upstream_errors_total", "target", key, "kind", "body_timeout")
            .stream()
            .mapToDouble(Scrape.Series::value)
            .sum();
    try (RawConnection c = new RawConnection(gw.port)) {
      assertCleanProblem(c.exchange("GET /head-stall HTTP/1.1", "Host: gw"), 504);
      assertThat(c.exchange("GET /ok HTTP/1.1", "Host: gw").body()).isEqualTo("ok");
    }
    assertThat(
            Scrape.of(gw)
                .value(
                    "bulwark_upstream_errors_total",
                    "upstream",
                    "raw",
                    "target",
                    key,
                    "kind",
                    "body_timeout"))
        .isEqualTo(before + 1);
  }

  @Test
  void aResetMidBodyTruncatesTheResponseAndClosesTheConnection() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /mid-reset HTTP/1.1\r\nHost: gw\r\n\r\n");
      InputStream in = c.socket.getInputStream();
      Head h = readHead(in);
      assertThat(h.status()).isEqualTo(200);
      assertThat(h.headers().get("Content-Length")).isEqualTo("4096");
      byte[] first = in.readNBytes(1000);
      assertThat(first).hasSize(1000);
      raw.midBody.release(); // now the upstream resets
      byte[] rest = untilClosed(in);
      assertThat(1000 + rest.length).as("body bytes: short of Content-Length").isLessThan(4096);
      assertThat(new String(rest, StandardCharsets.ISO_8859_1))
          .as("no problem body after an upstream head")
          .doesNotContain("problem")
          .doesNotContain("HTTP/1.1");
    }
  }

  @Test
  void aResetMidChunkedBodyEndsWithoutTheLastChunk() throws Exception {
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /mid-reset-chunked HTTP/1.1\r\nHost: gw\r\n\r\n");
      InputStream in = c.socket.getInputStream();
      Head h = readHead(in);
      assertThat(h.status()).isEqualTo(200);
      assertThat(h.headers().get("Transfer-Encoding")).isEqualToIgnoringCase("chunked");
      assertThat(line(in)).isEqualTo("3e8");
      assertThat(in.readNBytes(1000)).hasSize(1000);
      raw.midBody.release();
      String rest = new String(untilClosed(in), StandardCharsets.ISO_8859_1);
      assertThat(rest)
          .as("no terminating chunk")
          .doesNotContain("0\r\n\r\n")
          .doesNotContain("problem");
    }
  }

  @Test
  void aBodyShorterThanItsContentLengthIsNeverAnsweredAsComplete() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (RawConnection c = new RawConnection(gw.port)) {
        c.write("GET /short HTTP/1.1\r\nHost: gw\r\n\r\n");
        InputStream in = c.socket.getInputStream();
        Head h = readHead(in);
        if (h.status() == 502) {
          // nothing had gone to the client yet: a clean problem of the gateway's own, and the
          // connection goes on
          assertThat(h.headers().get("X-Upstream")).isNull();
          byte[] body = in.readNBytes(Integer.parseInt(h.headers().get("Content-Length")));
          ItClients.assertProblem(
              502, 502, h.headers().get("Content-Type"), new String(body, StandardCharsets.UTF_8));
          assertThat(c.exchange("GET /ok HTTP/1.1", "Host: gw").body()).isEqualTo("ok");
        } else {
          // the head went out with the first bytes: the response is cut, and the connection with it
          assertThat(h.status()).isEqualTo(200);
          assertThat(h.headers().get("X-Upstream")).isEqualTo("raw");
          assertThat(untilClosed(in).length)
              .as("body bytes: short of Content-Length")
              .isLessThan(4096);
        }
      }
    }
  }

  @Test
  void overHttp2AHeadThenAResetGetsACleanBadGatewayAndAResetMidBodyResetsTheStream()
      throws Exception {
    Vertx v = Vertx.vertx();
    HttpClient client =
        v.createHttpClient(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    try {
      HttpClientResponse[] head = new HttpClientResponse[1];
      Buffer problem =
          client
              .request(HttpMethod.GET, gw.port, "127.0.0.1", "/head-reset")
              .compose(
                  req ->
                      req.send()
                          .compose(
                              resp -> {
                                head[0] = resp;
                                return resp.body();
                              }))
              .await(30, TimeUnit.SECONDS);
      assertThat(head[0].version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(head[0].getHeader("X-Upstream")).isNull();
      ItClients.assertProblem(
          head[0].statusCode(), 502, head[0].getHeader("Content-Type"), problem.toString());

      CompletableFuture<Throwable> ended = new CompletableFuture<>();
      AtomicLong got = new AtomicLong();
      AtomicBoolean released = new AtomicBoolean();
      HttpClientResponse resp =
          client
              .request(HttpMethod.GET, gw.port, "127.0.0.1", "/mid-reset")
              .compose(
                  req ->
                      req.send()
                          .onSuccess(
                              r -> {
                                r.handler(
                                    b -> {
                                      if (got.addAndGet(b.length()) >= 1000
                                          && released.compareAndSet(false, true))
                                        raw.midBody.release();
                                    });
                                r.exceptionHandler(ended::complete);
                                r.endHandler(x -> ended.complete(null));
                              }))
              .await(30, TimeUnit.SECONDS);
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(ended.get(30, TimeUnit.SECONDS))
          .as("the stream is reset, not ended")
          .isInstanceOf(StreamResetException.class);
      assertThat(got.get()).isLessThan(4096);
    } finally {
      v.close().await(30, TimeUnit.SECONDS);
    }
  }

  // ---- item 8: a target that cuts its responses is failing

  @Test
  void aTargetThatCutsEveryResponseIsEjectedCountedAndLogged() throws Exception {
    Path dir = Files.createTempDirectory("bulwark-faults");
    Path access = dir.resolve("access.log");
    String cutKey = "127.0.0.1:" + raw.port;
    try (Upstream good = new Upstream("good");
        RunningGateway g =
            RunningGateway.start(
                TestSupport.head(access)
                    + """
        upstreams:
          u:
            targets: [ { url: "http://127.0.0.1:%d" }, { url: "%s" } ]
            healthCheck:
              passive: { consecutiveFailures: 3, ejectFor: 1m, maxEjectedPercent: 50%% }
        routes:
          - { name: cut, match: { path: /** }, upstream: u }
        """
                        .formatted(raw.port, good.url()))) {
      int sent = 0;
      while (Scrape.of(g).value("bulwark_target_up", "upstream", "u", "target", cutKey) != 0
          && sent < 60) {
        try (RawConnection c = new RawConnection(g.port)) {
          c.write("GET /cut HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
          untilClosed(c.socket.getInputStream());
        }
        sent++;
      }
      Scrape s = Scrape.of(g);
      assertThat(s.value("bulwark_target_up", "upstream", "u", "target", cutKey))
          .as("the cutting target is ejected")
          .isZero();
      assertThat(
              s.value(
                  "bulwark_upstream_errors_total",
                  "upstream",
                  "u",
                  "target",
                  cutKey,
                  "kind",
                  "body_reset"))
          .isEqualTo(3);
      assertThat(
              s.value(
                  "bulwark_upstream_attempts_seconds_count",
                  "upstream",
                  "u",
                  "target",
                  cutKey,
                  "outcome",
                  "body_reset"))
          .isEqualTo(3);
      assertThat(
              s.find(
                  "bulwark_upstream_attempts_seconds_count",
                  "upstream",
                  "u",
                  "target",
                  cutKey,
                  "outcome",
                  "success"))
          .isEmpty();
      // every later request goes to the good target, whole
      for (int i = 0; i < 10; i++) {
        var r = TestSupport.get(g.url("/after"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"upstream\":\"good\"");
      }
      int lines = sent + 10;
      await().atMost(WAIT).until(() -> AccessLogIT.lines(access).size() >= lines);
      List<JsonObject> cut =
          AccessLogIT.lines(access).stream()
              .filter(j -> cutKey.equals(j.getString("bulwark.upstream.target")))
              .toList();
      assertThat(cut)
          .hasSize(3)
          .allSatisfy(
              j -> assertThat(j.getString("bulwark.upstream.error")).isEqualTo("body_reset"));
      assertThat(
              AccessLogIT.lines(access).stream()
                  .filter(j -> !cutKey.equals(j.getString("bulwark.upstream.target"))))
          .allSatisfy(j -> assertThat(j.containsKey("bulwark.upstream.error")).isFalse());
    }
  }

  @Test
  void aTargetThatCutsEveryResponseOpensTheBreaker() throws Exception {
    try (RunningGateway g =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          u:
            targets: [ { url: "http://127.0.0.1:%d" } ]
            circuitBreaker: { failureRateThreshold: 50%%, window: 10, minimumCalls: 4, openFor: 1m }
        routes:
          - { name: cut, match: { path: /** }, upstream: u }
        """
                    .formatted(raw.port))) {
      int sent = 0;
      RawResponse refused = null;
      while (refused == null && sent < 40) {
        try (RawConnection c = new RawConnection(g.port)) {
          c.write("GET /cut HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
          InputStream in = c.socket.getInputStream();
          Head h = readHead(in);
          if (h.status() == 503) {
            byte[] body = in.readNBytes(Integer.parseInt(h.headers().get("Content-Length")));
            refused = new RawResponse(503, h.headers(), new String(body, StandardCharsets.UTF_8));
          } else {
            untilClosed(in);
          }
        }
        sent++;
      }
      assertThat(refused).as("a 503 from the open breaker within %d requests", sent).isNotNull();
      assertThat(refused.body()).contains("circuit breaker");
      assertThat(sent).as("requests until the breaker opened").isEqualTo(5);
      assertThat(
              Scrape.of(g).value("bulwark_circuit_breaker_state", "upstream", "u", "state", "open"))
          .isEqualTo(1);
    }
  }

  // ---- item 11: connection errors the gateway handles are not logged as unnamed errors

  /** Runs {@code body} with the root logger captured; returns its ERROR lines. */
  static List<String> errorsDuring(ThrowingRunnable body) throws Exception {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(lc);
    captured.start();
    Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(captured);
    try {
      body.run();
    } finally {
      root.detachAppender(captured);
      captured.stop();
    }
    return captured.list.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
        .toList();
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void activeChecksAgainstAResettingTargetLeaveNoUnnamedErrorInTheLog() throws Exception {
    String key = "127.0.0.1:" + raw.port;
    List<String> errors =
        errorsDuring(
            () -> {
              try (RunningGateway g =
                  RunningGateway.start(
                      TestSupport.head()
                          + """
          upstreams:
            u:
              targets: [ { url: "http://127.0.0.1:%d" } ]
              healthCheck:
                active: { path: /reset, interval: 200ms, timeout: 200ms, unhealthyThreshold: 3 }
          routes:
            - { name: r, match: { path: /** }, upstream: u }
          """
                              .formatted(raw.port))) {
                await()
                    .atMost(WAIT)
                    .until(
                        () ->
                            Scrape.of(g).value("bulwark_target_up", "upstream", "u", "target", key)
                                == 0);
              }
            });
    assertThat(errors).as("ERROR lines while a target's checks reset").isEmpty();
  }

  @Test
  void upstreamResetsLeaveNoUnnamedErrorInTheLog() throws Exception {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(lc);
    captured.start();
    Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(captured);
    try {
      for (int i = 0; i < 10; i++) {
        try (RawConnection c = new RawConnection(gw.port)) {
          c.write("GET /head-reset HTTP/1.1\r\nHost: gw\r\n\r\n");
          assertThat(readHead(c.socket.getInputStream()).status()).isEqualTo(502);
        }
        try (RawConnection c = new RawConnection(gw.port)) {
          c.write("GET /mid-reset HTTP/1.1\r\nHost: gw\r\n\r\n");
          InputStream in = c.socket.getInputStream();
          readHead(in);
          in.readNBytes(1000);
          raw.midBody.release();
          untilClosed(in);
        }
        // and a client that resets its own connection mid-response
        try (RawConnection c = new RawConnection(gw.port)) {
          c.write("GET /mid-reset HTTP/1.1\r\nHost: gw\r\n\r\n");
          InputStream in = c.socket.getInputStream();
          readHead(in);
          in.readNBytes(1000);
          RawUpstream.reset(c.socket);
        }
        raw.midBody.release();
      }
      // the last reset has been handled: the gateway has no request left in flight
      await().atMost(WAIT).until(() -> gw.gateway.inFlight() == 0);
    } finally {
      root.detachAppender(captured);
      captured.stop();
    }
    List<String> errors =
        captured.list.stream()
            .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
            .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
            .toList();
    assertThat(errors).as("WARN and ERROR lines while upstreams reset").isEmpty();
  }
}
