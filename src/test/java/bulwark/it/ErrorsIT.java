package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.filter.registry.Filters;
import bulwark.it.ItClients.RawConnection;
import bulwark.it.ItClients.RawResponse;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error the gateway produces itself is an RFC 9457 problem, never a stack trace. */
class ErrorsIT {
  static Upstream ok;
  static Upstream hang;
  static final AtomicInteger hangClosed = new AtomicInteger();
  static final AtomicInteger hangSeen = new AtomicInteger();
  static RunningGateway gw;

  @BeforeAll
  static void start() throws Exception {
    Filters.registerForTests(
        "boom",
        cfg ->
            (ex, next) -> {
              throw new IllegalStateException("boom");
            });
    ok = new Upstream("ok");
    hang =
        new Upstream(
            "hang",
            req -> {
              // never answers (or, on /stall, sends the head and part of the body, then nothing);
              // counts the
              // connections the gateway gives up on
              hangSeen.incrementAndGet();
              req.connection().closeHandler(v -> hangClosed.incrementAndGet());
              if (req.path().equals("/stall")) req.response().setChunked(true).write("partial");
            });
    int dead = TestSupport.freePort();
    gw =
        RunningGateway.start(
            """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 2s }
          limits: { maxBodyBytes: 1KiB, maxHeaderBytes: 1KiB }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
        upstreams:
          ok: { targets: [ { url: %s } ] }
          dead: { targets: [ { url: "http://127.0.0.1:%d" } ] }
          hang: { targets: [ { url: %s } ], timeouts: { response: 300ms } }
          hang-long: { targets: [ { url: %s } ] }
        middlewares:
          boom: { headers: {} }
        versioning: { vendor: acme, default: v1 }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: ok }
          - { name: post-only, match: { path: /post, methods: [POST] }, upstream: ok }
          - { name: versioned, match: { path: /v/** }, version: v1, upstream: ok }
          - { name: dead, match: { path: /dead }, upstream: dead }
          - { name: hang, match: { path: /hang }, upstream: hang }
          - { name: slow-route, match: { path: /slow }, upstream: hang-long, timeout: 300ms }
          - { name: hang-forever, match: { path: /forever }, upstream: hang-long }
          - { name: stall, match: { path: /stall }, upstream: hang-long, timeout: 300ms }
          - { name: boom, match: { path: /boom/** }, upstream: ok, middlewares: [boom] }
        """
                .formatted(ok.url(), dead, hang.url(), hang.url()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    if (ok != null) ok.close();
    if (hang != null) hang.close();
  }

  @Test
  void notFound404() throws Exception {
    assertProblem(TestSupport.get(gw.url("/nope")), 404);
  }

  @Test
  void methodNotAllowed405() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/post"));
    assertProblem(r, 405);
    assertThat(r.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void notAcceptable406() throws Exception {
    assertProblem(TestSupport.get(gw.url("/v/1"), "Accept", "application/vnd.acme.v3+json"), 406);
  }

  @Test
  void contentLengthOverTheLimitIs413AtOnce() throws Exception {
    // only the head is sent: the gateway must answer from Content-Length alone
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse r =
          c.exchange(
              "POST /ok/upload HTTP/1.1",
              "Host: gw",
              "Content-Type: text/plain",
              "Content-Length: 2048");
      JsonObject p = assertProblem(r, 413);
      // the same size format as the 431's and the config's
      assertThat(p.getString("detail")).isEqualTo("the request body is larger than 1KiB");
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    }
    // the same through an ordinary client that sends the whole body
    HttpResponse<String> r = TestSupport.send("POST", gw.url("/ok/upload"), "x".repeat(2048));
    assertProblem(r, 413);
  }

  @Test
  void chunkedBodyCrossingTheLimitIs413() throws Exception {
    String chunk = "y".repeat(600);
    StringBuilder req =
        new StringBuilder(
            "POST /ok/chunked HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++)
      req.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
    req.append("0\r\n\r\n");
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(req.toString());
      RawResponse r = c.read(false);
      assertProblem(r, 413);
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
    }
    // under the limit, a chunked body goes through whole
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write(
          "POST /ok/chunked HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
              + "258\r\n"
              + chunk
              + "\r\n0\r\n\r\n");
      RawResponse r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getInteger("bytes")).isEqualTo(600);
    }
  }

  @Test
  void http2ErrorsAreProblemsToo() throws Exception {
    Vertx vx = Vertx.vertx();
    try {
      HttpClient h2 =
          vx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      // Content-Length over the limit
      assertH2Problem(h2, HttpMethod.POST, "/ok/h2", Buffer.buffer("x".repeat(2048)), false, 413);
      // a streamed body (no Content-Length) that crosses the limit
      assertH2Problem(h2, HttpMethod.POST, "/ok/h2", Buffer.buffer("x".repeat(2048)), true, 413);
      // a timeout while the request still has a body
      assertH2Problem(h2, HttpMethod.POST, "/hang", Buffer.buffer("x".repeat(100)), false, 504);
      assertH2Problem(h2, HttpMethod.GET, "/nope", null, false, 404);
      // headers over maxHeaderBytes: the limit is announced in SETTINGS, so a client does not even
      // send them
      Throwable refused =
          h2.request(
                  new RequestOptions()
                      .setHost("127.0.0.1")
                      .setPort(gw.port)
                      .setURI("/ok/big-h2")
                      .putHeader("X-Big", "z".repeat(4096)))
              .compose(req -> req.send())
              .map(resp -> (Throwable) null)
              .otherwise(e -> e)
              .await(10, TimeUnit.SECONDS);
      assertThat(refused).isNotNull().hasMessageContaining("1024");
      // the HTTP/2 connection survives all of it
      Buffer okBody =
          h2.request(
                  new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI("/ok/after-h2"))
              .compose(req -> req.send().compose(resp -> resp.body()))
              .await(10, TimeUnit.SECONDS);
      assertThat(okBody.toString()).contains("/ok/after-h2");
    } finally {
      vx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static void assertH2Problem(
      HttpClient h2, HttpMethod method, String uri, Buffer body, boolean streamed, int expected)
      throws Exception {
    record Got(int status, String contentType, String requestId, String body) {}
    Got got =
        h2.request(
                new RequestOptions()
                    .setMethod(method)
                    .setHost("127.0.0.1")
                    .setPort(gw.port)
                    .setURI(uri))
            .compose(
                req -> {
                  if (body == null) return req.send();
                  if (!streamed) return req.send(body);
                  req.setChunked(true);
                  for (int i = 0; i < body.length(); i += 512)
                    req.write(body.slice(i, Math.min(body.length(), i + 512)));
                  req.end();
                  return req.response();
                })
            .compose(
                resp ->
                    resp.body()
                        .map(
                            b ->
                                new Got(
                                    resp.statusCode(),
                                    resp.getHeader("Content-Type"),
                                    resp.getHeader("X-Request-Id"),
                                    b.toString())))
            .await(10, TimeUnit.SECONDS);
    JsonObject p = assertProblem(got.status(), expected, got.contentType(), got.body());
    assertThat(got.requestId()).isEqualTo(p.getString("requestId"));
  }

  @Test
  void http2HeadersOverTheLimitAreRefused() throws Exception {
    // maxHeaderBytes holds for HTTP/2 too. A client that ignores the announced
    // SETTINGS_MAX_HEADER_LIST_SIZE
    // gets a bare 431 from the HTTP/2 codec (no problem body), or a GOAWAY when far over it
    try (java.net.http.HttpClient h2 =
        java.net.http.HttpClient.newBuilder().version(Version.HTTP_2).build()) {
      HttpResponse<String> first =
          h2.send(
              HttpRequest.newBuilder(URI.create(gw.url("/ok/first"))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(first.version()).isEqualTo(Version.HTTP_2);
      // a little over the limit: 431 on the stream; far over it: the connection is refused (GOAWAY)
      HttpResponse<String> over =
          h2.send(
              HttpRequest.newBuilder(URI.create(gw.url("/ok/over-h2")))
                  .header("X-Big", "z".repeat(1100))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(over.statusCode()).isEqualTo(431);
    }
    assertThat(ok.seen).noneMatch(s -> s.uri().contains("over-h2"));
    try (java.net.http.HttpClient h2 =
        java.net.http.HttpClient.newBuilder().version(Version.HTTP_2).build()) {
      h2.send(
          HttpRequest.newBuilder(URI.create(gw.url("/ok/first"))).build(),
          HttpResponse.BodyHandlers.ofString());
      int status;
      try {
        status =
            h2.send(
                    HttpRequest.newBuilder(URI.create(gw.url("/ok/far-over-h2")))
                        .header("X-Big", "z".repeat(4096))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode();
      } catch (java.io.IOException e) {
        status = -1;
      }
      assertThat(status).isNotEqualTo(200);
    }
    assertThat(ok.seen).noneMatch(s -> s.uri().contains("over-h2"));
  }

  @Test
  void headersOverTheLimitAre431() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/ok/x"), "X-Big", "z".repeat(4096));
    JsonObject p = assertProblem(r, 431);
    assertThat(p.getString("title")).isEqualTo("Request Header Fields Too Large");
    assertThat(p.getString("detail")).isEqualTo("the request headers are larger than 1KiB");
    assertThat(p.getString("instance")).isEqualTo("/ok/x");
    try (RawConnection c = new RawConnection(gw.port)) {
      RawResponse raw = c.exchange("GET /ok/x HTTP/1.1", "Host: gw", "X-Big: " + "z".repeat(4096));
      assertProblem(raw, 431);
    }
  }

  @Test
  void malformedRequestsAre400() throws Exception {
    for (String bad :
        List.of(
            "GET /ok/x HTTP/1.1\r\nHost: gw\r\nNo colon here\r\n\r\n",
            "POST /ok/x HTTP/1.1\r\nHost: gw\r\nContent-Length: abc\r\n\r\n",
            "POST /ok/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "GET /ok/x HTTP/1.1\r\nHost: gw\r\nX-Bad\u0001: v\r\n\r\n")) {
      try (RawConnection c = new RawConnection(gw.port)) {
        c.write(bad);
        RawResponse r = c.read(false);
        assertProblem(r, 400);
        assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      }
    }
  }

  @Test
  void aRequestLineOverTheLimitIs414() throws Exception {
    JsonObject p = assertProblem(TestSupport.get(gw.url("/ok/" + "u".repeat(5000))), 414);
    assertThat(p.getString("title")).isEqualTo("URI Too Long");
  }

  @Test
  void aRouteTimeoutAfterTheResponseHeadCutsTheConnection() throws Exception {
    int closedBefore = hangClosed.get();
    try (RawConnection c = new RawConnection(gw.port)) {
      c.write("GET /stall HTTP/1.1\r\nHost: gw\r\n\r\n");
      byte[] all = c.socket.getInputStream().readAllBytes();
      String text = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("HTTP/1.1 200").contains("partial");
      assertThat(text)
          .as("no final chunk: the body is visibly incomplete")
          .doesNotEndWith("0\r\n\r\n");
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> hangClosed.get() > closedBefore);
  }

  @Test
  void unreachableUpstreamIs502() throws Exception {
    JsonObject p = assertProblem(TestSupport.get(gw.url("/dead")), 502);
    assertThat(p.getString("detail")).contains("dead");
  }

  @Test
  void upstreamResponseTimeoutIs504AndCancelsTheUpstreamRequest() throws Exception {
    int closedBefore = hangClosed.get();
    JsonObject p = assertProblem(TestSupport.get(gw.url("/hang")), 504);
    assertThat(p.getString("detail")).contains("300ms");
    await().atMost(Duration.ofSeconds(30)).until(() -> hangClosed.get() > closedBefore);
  }

  @Test
  void routeTimeoutIs504() throws Exception {
    int closedBefore = hangClosed.get();
    JsonObject p = assertProblem(TestSupport.get(gw.url("/slow")), 504);
    assertThat(p.getString("detail")).contains("route timeout");
    await().atMost(Duration.ofSeconds(30)).until(() -> hangClosed.get() > closedBefore);
  }

  @Test
  void aThrowingFilterFailsOnlyItsRequest() throws Exception {
    // same pooled keep-alive client for both: the failed request must not wedge its connection
    HttpResponse<String> r = TestSupport.get(gw.url("/boom/1"));
    JsonObject p = assertProblem(r, 500);
    assertThat(p.getString("detail")).doesNotContain("boom");
    HttpResponse<String> next = TestSupport.get(gw.url("/ok/after"));
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(next.body()).contains("\"uri\":\"/ok/after\"");

    // and on one raw connection: 500, then a good request on the same connection
    try (RawConnection c = new RawConnection(gw.port)) {
      assertProblem(c.exchange("GET /boom/2 HTTP/1.1", "Host: gw"), 500);
      RawResponse again = c.exchange("GET /ok/again HTTP/1.1", "Host: gw");
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.body()).contains("\"uri\":\"/ok/again\"");
    }
  }

  @Test
  void aSlowUpstreamNeverHoldsAnEventLoop() throws Exception {
    int seenBefore = hangSeen.get();
    List<RawConnection> hanging = new ArrayList<>();
    try {
      // one hanging request per event loop and then some
      int n = Runtime.getRuntime().availableProcessors() * 2;
      for (int i = 0; i < n; i++) {
        RawConnection c = new RawConnection(gw.port);
        c.write("GET /forever HTTP/1.1\r\nHost: gw\r\n\r\n");
        hanging.add(c);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> hangSeen.get() >= seenBefore + n);
      List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        HttpRequest req =
            HttpRequest.newBuilder(URI.create(gw.url("/ok/" + i)))
                .timeout(Duration.ofSeconds(10))
                .build();
        fs.add(TestSupport.HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < fs.size(); i++) {
        HttpResponse<String> r = fs.get(i).get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\":\"/ok/" + i + "\"");
      }
      // the hanging requests are still waiting
      for (RawConnection c : hanging) assertThat(c.socket.getInputStream().available()).isZero();
    } finally {
      for (RawConnection c : hanging) c.close();
    }
    // a client that goes away cancels its upstream request
    await().atMost(Duration.ofSeconds(30)).until(() -> gw.gateway.inFlight() == 0);
  }
}
