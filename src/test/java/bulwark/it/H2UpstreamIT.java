package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.ConfigException;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 toward upstreams, against real Vert.x servers on loopback: h2c by prior knowledge, h2 over
 * TLS with ALPN, auto's fallback to HTTP/1.1, a target that allows one stream at a time, and GOAWAY
 * under load (no idempotent request fails).
 */
class H2UpstreamIT {
  static Vertx vertx;
  static Path dir;
  static TestCerts.Pair ca;
  static HttpServer h2c;
  static HttpServer h2tls;
  static HttpServer h1tls;
  static HttpServer oneStream;
  static HttpServer goAway;
  static HttpServer trailers;
  static RunningGateway gw;

  /** Streams open at once on oneStream's connections, at most, and how many connections. */
  static final AtomicInteger oneStreamActive = new AtomicInteger();

  static final AtomicInteger oneStreamPeak = new AtomicInteger();

  /** goAway's GOAWAYs sent, the streams they refused, and the connections it accepted. */
  static final AtomicInteger goAwaysSent = new AtomicInteger();

  static final AtomicInteger refusedAtServer = new AtomicInteger();
  static final AtomicInteger goAwayConnections = new AtomicInteger();

  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** Answers with the protocol the gateway used, the method, path and body length. */
  static void echo(HttpServerRequest req) {
    echoAfter(req, 0);
  }

  /** The same, {@code delayMs} after the whole request came (0: at once). */
  static void echoAfter(HttpServerRequest req, long delayMs) {
    req.body()
        .onSuccess(
            b -> {
              String text =
                  req.version() + " " + req.method() + " " + req.path() + " " + b.length();
              if (delayMs <= 0) req.response().putHeader("Content-Type", "text/plain").end(text);
              else vertx.setTimer(delayMs, id -> req.response().end(text));
            });
  }

  static HttpServer listen(HttpServerOptions o, Consumer<HttpServerRequest> h) throws Exception {
    return vertx
        .createHttpServer(o)
        .requestHandler(h::accept)
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  static HttpServerOptions tls(TestCerts.Pair cert) {
    return new HttpServerOptions()
        .setSsl(true)
        .setUseAlpn(true)
        .setKeyCertOptions(
            new PemKeyCertOptions()
                .setCertPath(cert.cert().toString())
                .setKeyPath(cert.key().toString()));
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("bulwark-h2");
    ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair cert = TestCerts.leaf(dir, ca, "up", "up.test", "up", "IP:127.0.0.1");
    h2c = listen(new HttpServerOptions(), H2UpstreamIT::echo);
    h2tls = listen(tls(cert), H2UpstreamIT::echo);
    h1tls = listen(tls(cert).setAlpnVersions(List.of(HttpVersion.HTTP_1_1)), H2UpstreamIT::echo);
    oneStream =
        listen(
            new HttpServerOptions()
                .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(1)),
            req -> {
              oneStreamPeak.accumulateAndGet(oneStreamActive.incrementAndGet(), Math::max);
              req.response().endHandler(v -> oneStreamActive.decrementAndGet());
              // held a moment, so that concurrent requests overlap
              echoAfter(req, 5);
            });
    goAway = listen(new HttpServerOptions(), new GoAwayHandler());
    trailers =
        listen(
            new HttpServerOptions(),
            req ->
                req.response()
                    .setChunked(true)
                    .putHeader("Content-Type", "text/plain")
                    .putTrailer("x-checksum", "abc123")
                    .end("body with trailers"));
    String caPem = ca.cert().toString();
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
        upstreams:
          # a first HTTP/2 connection waits for the target's SETTINGS (and TLS): generous on a busy
          # machine
          h2c: { timeouts: { connect: 10s }, protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
          h2: { timeouts: { connect: 10s }, protocol: h2, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] } }
          auto2: { timeouts: { connect: 10s }, protocol: auto, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] } }
          auto1: { timeouts: { connect: 10s }, protocol: auto, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] } }
          noh2: { timeouts: { connect: 10s }, protocol: h2, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] } }
          one: { timeouts: { connect: 10s }, protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], maxConnectionsPerTarget: 1 }
          goaway: { timeouts: { connect: 10s }, protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
          trailers: { timeouts: { connect: 10s }, protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
        routes:
          - { name: h2c, match: { path: /h2c/** }, upstream: h2c }
          - { name: h2, match: { path: /h2/** }, upstream: h2 }
          - { name: auto2, match: { path: /auto2/** }, upstream: auto2 }
          - { name: auto1, match: { path: /auto1/** }, upstream: auto1 }
          - { name: noh2, match: { path: /noh2/** }, upstream: noh2 }
          - { name: one, match: { path: /one/** }, upstream: one }
          - { name: goaway, match: { path: /goaway/** }, upstream: goaway }
          - { name: trailers, match: { path: /trailers/** }, upstream: trailers }
        """
                    .formatted(
                        h2c.actualPort(),
                        h2tls.actualPort(),
                        caPem,
                        h2tls.actualPort(),
                        caPem,
                        h1tls.actualPort(),
                        caPem,
                        h1tls.actualPort(),
                        caPem,
                        oneStream.actualPort(),
                        goAway.actualPort(),
                        trailers.actualPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(gw.url(path)))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void h2cUpstreamByPriorKnowledge() throws Exception {
    HttpResponse<String> r = send("GET", "/h2c/a", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("HTTP_2 GET /h2c/a 0");
    HttpResponse<String> p = send("POST", "/h2c/b", "x".repeat(100_000));
    assertThat(p.statusCode()).isEqualTo(200);
    assertThat(p.body()).isEqualTo("HTTP_2 POST /h2c/b 100000");
  }

  @Test
  void h2UpstreamOverTlsWithAlpn() throws Exception {
    HttpResponse<String> r = send("GET", "/h2/a", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("HTTP_2 GET /h2/a 0");
    HttpResponse<String> p = send("PUT", "/h2/b", "y".repeat(70_000));
    assertThat(p.body()).isEqualTo("HTTP_2 PUT /h2/b 70000");
  }

  @Test
  void autoTakesH2WhenOfferedAndFallsBackToHttp11() throws Exception {
    assertThat(send("GET", "/auto2/x", null).body()).isEqualTo("HTTP_2 GET /auto2/x 0");
    // the target offers only http/1.1 in ALPN: auto uses it, on a keep-alive connection
    for (int i = 0; i < 3; i++)
      assertThat(send("POST", "/auto1/x", "abc").body()).isEqualTo("HTTP_1_1 POST /auto1/x 3");
  }

  @Test
  void h2AgainstATargetWithoutH2InAlpnFailsCleanly() throws Exception {
    double before = alpnRefused();
    HttpResponse<String> r = send("GET", "/noh2/x", null);
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    // each refused connection is counted (the log line says it once)
    assertThat(alpnRefused()).isEqualTo(before + 1);
    assertThat(send("GET", "/noh2/y", null).statusCode()).isEqualTo(502);
    assertThat(alpnRefused()).isEqualTo(before + 2);
  }

  /** bulwark_upstream_alpn_refused_total of the upstream noh2's target (0 before the first). */
  static double alpnRefused() throws Exception {
    String scrape = TestSupport.get(gw.adminUrl("/metrics")).body();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^bulwark_upstream_alpn_refused_total\\{[^}]*upstream=\"noh2\"[^}]*} (\\S+)$")
            .matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void aTargetThatAllowsOneStreamServesEveryConcurrentRequest() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      fs.add(
          HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(gw.url("/one/" + i)))
                  .timeout(Duration.ofSeconds(60))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < fs.size(); i++) {
      HttpResponse<String> r = fs.get(i).get(60, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("HTTP_2 GET /one/" + i + " 0");
    }
    // one connection per event loop (maxConnectionsPerTarget: 1), one stream on each at a time
    assertThat(oneStreamPeak.get()).isBetween(1, Runtime.getRuntime().availableProcessors());
  }

  @Test
  void goAwayDuringLoadFailsNoIdempotentRequest() throws Exception {
    int n = 400;
    List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
    // at most 24 in flight at once
    java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(24);
    for (int i = 0; i < n; i++) {
      window.acquire();
      fs.add(
          HTTP.sendAsync(
                  HttpRequest.newBuilder(URI.create(gw.url("/goaway/" + i)))
                      .timeout(Duration.ofSeconds(60))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .whenComplete((r, e) -> window.release()));
    }
    int ok = 0;
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = fs.get(i).get(60, TimeUnit.SECONDS);
      if (r.statusCode() == 200 && r.body().equals("HTTP_2 GET /goaway/" + i + " 0")) ok++;
      else failed.add(i + ": " + r.statusCode() + " " + r.body());
    }
    assertThat(failed).isEmpty();
    assertThat(ok).isEqualTo(n);
    // the upstream did go away, with streams above its last one, and the gateway reconnected
    assertThat(goAwaysSent.get()).isPositive();
    assertThat(refusedAtServer.get()).isPositive();
    assertThat(goAwayConnections.get()).isGreaterThan(1);
  }

  /** A response through the gateway with a Vert.x client: its body, then its trailers. */
  static io.vertx.core.http.HttpClientResponse fetch(HttpVersion version, String path, String te)
      throws Exception {
    var http =
        vertx
            .httpClientBuilder()
            .with(
                new io.vertx.core.http.HttpClientOptions()
                    .setProtocolVersion(version)
                    .setHttp2ClearTextUpgrade(false))
            .build();
    try {
      var o =
          new io.vertx.core.http.RequestOptions()
              .setHost("127.0.0.1")
              .setPort(gw.port)
              .setURI(path);
      if (te != null) o.putHeader("TE", te);
      var r =
          http.request(o)
              .compose(
                  req ->
                      req.send()
                          .compose(
                              resp ->
                                  resp.body()
                                      .map(
                                          b -> {
                                            assertThat(b.toString())
                                                .isEqualTo("body with trailers");
                                            return resp;
                                          })))
              .await(30, TimeUnit.SECONDS);
      return r;
    } finally {
      http.close();
    }
  }

  @Test
  void upstreamTrailersReachClientsThatTakeThem() throws Exception {
    // HTTP/2 clients always can
    assertThat(fetch(HttpVersion.HTTP_2, "/trailers/a", null).trailers().get("x-checksum"))
        .isEqualTo("abc123");
    // HTTP/1.1: as chunked trailers when the client sent TE: trailers, else not at all
    var asked = fetch(HttpVersion.HTTP_1_1, "/trailers/b", "trailers");
    assertThat(asked.getHeader("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(asked.trailers().get("x-checksum")).isEqualTo("abc123");
    assertThat(fetch(HttpVersion.HTTP_1_1, "/trailers/c", null).trailers().names()).isEmpty();
  }

  @Test
  void h2WithoutTlsIsAConfigError() {
    assertThatThrownBy(
            () ->
                RunningGateway.start(
                    TestSupport.head()
                        + """
                upstreams:
                  g: { protocol: h2, targets: [ { url: "http://127.0.0.1:1" } ] }
                routes:
                  - { name: g, match: { path: /** }, upstream: g }
                """))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("upstreams.g.protocol: h2 is HTTP/2 over TLS (ALPN)");
  }

  /**
   * Answers after a moment; when a connection has three streams or more open, it sends GOAWAY with
   * the lowest of them as the last stream id (once every 40 requests), so the others are refused
   * unprocessed and must be sent again by the gateway. The refused ones are never answered.
   */
  static final class GoAwayHandler implements Consumer<HttpServerRequest> {
    final Map<HttpConnection, Set<Long>> open = new ConcurrentHashMap<>();
    final Set<HttpConnection> gone = ConcurrentHashMap.newKeySet();
    final AtomicInteger sinceLast = new AtomicInteger();

    @Override
    public void accept(HttpServerRequest req) {
      HttpConnection c = req.connection();
      if (gone.contains(c)) {
        refusedAtServer.incrementAndGet();
        return; // above the last stream id: not processed
      }
      Set<Long> streams =
          open.computeIfAbsent(
              c,
              k -> {
                goAwayConnections.incrementAndGet();
                return ConcurrentHashMap.newKeySet();
              });
      streams.add(req.streamId());
      if (streams.size() >= 3 && sinceLast.incrementAndGet() >= 40) {
        sinceLast.set(0);
        long last = streams.stream().mapToLong(Long::longValue).min().orElseThrow();
        refusedAtServer.addAndGet(streams.size() - 1);
        gone.add(c);
        goAwaysSent.incrementAndGet();
        c.goAway(0, (int) last);
        for (Long id : streams) if (id > last) streams.remove(id);
      }
      req.body()
          .onSuccess(
              b ->
                  vertx.setTimer(
                      5,
                      id -> {
                        if (!streams.remove(req.streamId())) return; // refused by the GOAWAY
                        req.response().end(req.version() + " GET " + req.path() + " 0");
                      }));
    }
  }
}
