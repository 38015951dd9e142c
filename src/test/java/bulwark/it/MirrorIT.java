package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Traffic mirroring (routes[].mirror) through a running gateway, to real loopback upstreams: the
 * share copied, the copy's marker, Host and body, the body cap, and mirrors that hang, reset or are
 * down, which change nothing for the client; the in-flight cap. Counts come from admin /metrics.
 */
class MirrorIT {
  static final int MAX_BODY = 32 * 1024;

  /** A copy the shadow read to its end. */
  record Copy(String method, String uri, MultiMap headers, byte[] body) {}

  static Upstream primary;
  static Upstream shadow;
  static Upstream hang;
  static Upstream held;
  static Vertx resetVertx;
  static int resetPort;
  static int stallPort;
  static ServerSocket stall;
  static final List<Socket> stalled = new CopyOnWriteArrayList<>();
  static RunningGateway gw;

  /** The copies the shadow read whole, by URI (the last one for a URI). */
  static final ConcurrentHashMap<String, Copy> copies = new ConcurrentHashMap<>();

  /** The requests the held mirror has not answered. */
  static final LinkedBlockingQueue<HttpServerRequest> waiting = new LinkedBlockingQueue<>();

  @BeforeAll
  static void start() throws Exception {
    primary = new Upstream("primary");
    shadow =
        new Upstream(
            "shadow",
            req ->
                req.body()
                    .onSuccess(
                        b -> {
                          copies.put(
                              req.uri(),
                              new Copy(
                                  req.method().name(),
                                  req.uri(),
                                  MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
                                  b.getBytes()));
                          int status = req.uri().contains("status-503") ? 503 : 200;
                          req.response().setStatusCode(status).end("shadow " + status);
                        }));
    // reads the request and never answers
    hang = new Upstream("hang", req -> {});
    held = new Upstream("held", waiting::add);
    // resets every connection as soon as the request's first bytes come (SO_LINGER 0: RST)
    resetVertx = Vertx.vertx();
    NetServer reset =
        resetVertx
            .createNetServer(new NetServerOptions().setSoLinger(0))
            .connectHandler((NetSocket s) -> s.handler(b -> s.close()));
    resetPort = reset.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
    // accepts connections and never reads from them, with a small receive buffer: a copy's
    // write queue fills after a few KiB
    // (plain sockets: a paused Vert.x NetSocket's unread buffers are not released when it closes)
    stall = new ServerSocket();
    stall.setReceiveBufferSize(4096);
    stall.bind(new InetSocketAddress("127.0.0.1", 0));
    stallPort = stall.getLocalPort();
    ServerSocket stallServer = stall;
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              while (!stallServer.isClosed()) {
                try {
                  stalled.add(stallServer.accept());
                } catch (IOException e) {
                  return;
                }
              }
            });
    gw =
        RunningGateway.start(
            TestSupport.head()
                + """
                upstreams:
                  primary: { targets: [ { url: %s } ] }
                  shadow: { targets: [ { url: %s } ] }
                  hang:
                    targets: [ { url: %s } ]
                    timeouts: { response: 300ms }
                  reset: { targets: [ { url: "http://127.0.0.1:%d" } ] }
                  down: { targets: [ { url: "http://127.0.0.1:%d" } ] }
                  stall:
                    targets: [ { url: "http://127.0.0.1:%d" } ]
                    timeouts: { response: 2s }
                  held:
                    targets: [ { url: %s } ]
                    timeouts: { response: 5m }
                  gone:
                    targets: [ { url: "http://127.0.0.1:%d" } ]
                    healthCheck:
                      active: { path: /health, interval: 100ms, timeout: 100ms, healthyThreshold: 1, unhealthyThreshold: 1 }
                routes:
                  - name: all
                    match: { path: /all/** }
                    upstream: primary
                    mirror: { upstream: shadow, maxBody: %d }
                  - name: sample
                    match: { path: /sample/** }
                    upstream: primary
                    mirror: { upstream: shadow, percent: 30%% }
                  - name: hang
                    match: { path: /hang/** }
                    upstream: primary
                    mirror: { upstream: hang }
                  - name: reset
                    match: { path: /reset/** }
                    upstream: primary
                    mirror: { upstream: reset }
                  - name: down
                    match: { path: /down/** }
                    upstream: primary
                    mirror: { upstream: down }
                  - name: stall
                    match: { path: /stall/** }
                    upstream: primary
                    mirror: { upstream: stall, maxBody: 16MiB }
                  - name: cap
                    match: { path: /cap/** }
                    upstream: primary
                    mirror: { upstream: held, maxInFlight: 2 }
                  - name: notarget
                    match: { path: /notarget/** }
                    upstream: primary
                    mirror: { upstream: gone }
                """
                    .formatted(
                        primary.url(),
                        shadow.url(),
                        hang.url(),
                        resetPort,
                        TestSupport.freePort(),
                        stallPort,
                        held.url(),
                        TestSupport.freePort(),
                        MAX_BODY));
  }

  @AfterAll
  static void stop() {
    if (gw != null) gw.close();
    for (Upstream u : new Upstream[] {primary, shadow, hang, held}) if (u != null) u.close();
    if (resetVertx != null) resetVertx.close().await();
    try {
      if (stall != null) stall.close();
      for (Socket s : stalled) s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Test
  void everyRequestIsCopiedWithTheMarkerAndTheMirrorsHost() throws Exception {
    for (int i = 0; i < 10; i++) {
      String uri = "/all/get-" + i + "?q=" + i;
      HttpResponse<String> r = TestSupport.get(gw.url(uri), "X-Trace-Me", "t" + i);
      assertPrimary(r, "GET", uri, 0);
      Copy c = awaitCopy(uri);
      assertThat(c.method()).isEqualTo("GET");
      assertThat(c.headers().get("X-Bulwark-Mirror")).isEqualTo("1");
      assertThat(c.headers().get("Host")).isEqualTo("127.0.0.1:" + shadow.port);
      assertThat(c.headers().get("X-Trace-Me")).isEqualTo("t" + i);
      assertThat(c.headers().get("X-Request-Id"))
          .as("the copy carries the request's id")
          .isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
    }
    assertThat(primary.seen)
        .allSatisfy(s -> assertThat(s.headers().get("X-Bulwark-Mirror")).isNull());
    Scrape s = Scrape.of(gw);
    assertThat(s.value("bulwark_mirror_requests_total", "route", "all", "upstream", "shadow"))
        .isGreaterThanOrEqualTo(10);
  }

  @Test
  void bodiesUpToMaxBodyAreCopiedWholeLargerOnesAreDroppedNotTheClients() throws Exception {
    byte[] atCap = randomBytes(MAX_BODY);
    HttpResponse<String> r = TestSupport.send("POST", gw.url("/all/body-at-cap"), latin1(atCap));
    assertPrimary(r, "POST", "/all/body-at-cap", MAX_BODY);
    assertThat(awaitCopy("/all/body-at-cap").body()).isEqualTo(atCap);

    // streamed without Content-Length (chunked), under the cap: copied whole as it streams
    byte[] small = randomBytes(3000);
    assertPrimary(chunked("/all/chunked-small", small), "POST", "/all/chunked-small", 3000);
    assertThat(awaitCopy("/all/chunked-small").body()).isEqualTo(small);

    double before = dropped("all", "body_too_large");
    // Content-Length over the cap: not copied at all
    r = TestSupport.send("POST", gw.url("/all/body-over-cap"), latin1(randomBytes(MAX_BODY + 1)));
    assertPrimary(r, "POST", "/all/body-over-cap", MAX_BODY + 1);
    // streamed past the cap: the copy is abandoned mid-body, the client's request goes on whole
    byte[] big = randomBytes(4 * MAX_BODY);
    assertPrimary(chunked("/all/chunked-big", big), "POST", "/all/chunked-big", big.length);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> dropped("all", "body_too_large") == before + 2);
    // a later copy on the same route arrives: the two above never did
    TestSupport.get(gw.url("/all/after-big"));
    awaitCopy("/all/after-big");
    assertThat(copies).doesNotContainKeys("/all/body-over-cap", "/all/chunked-big");
  }

  @Test
  void percentCopiesItsShareWithinTheBinomialBound() throws Exception {
    int n = 400;
    for (int i = 0; i < n; i++)
      assertPrimary(TestSupport.get(gw.url("/sample/" + i)), "GET", "/sample/" + i, 0);
    double sampled =
        Scrape.of(gw)
            .value("bulwark_mirror_requests_total", "route", "sample", "upstream", "shadow");
    // 30% of 400: mean 120, sd 9.17; the 99.9% two-sided bound is 3.29 sd, 30
    assertThat(sampled).isBetween(120.0 - 30, 120.0 + 30);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                copies.keySet().stream().filter(u -> u.startsWith("/sample/")).count()
                    == (long) sampled);
    Scrape s = Scrape.of(gw);
    assertThat(
            s.value(
                "bulwark_mirror_responses_total",
                "route",
                "sample",
                "upstream",
                "shadow",
                "class",
                "2xx"))
        .isEqualTo(sampled);
    assertThat(s.find("bulwark_mirror_dropped_total", "route", "sample")).isEmpty();
  }

  @Test
  void theMirrorsAnswerIsCountedByClassAndNeverReachesTheClient() throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/all/status-503"));
    assertPrimary(r, "GET", "/all/status-503", 0);
    awaitCopy("/all/status-503");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                Scrape.of(gw)
                        .valueOrZero(
                            "bulwark_mirror_responses_total",
                            "route",
                            "all",
                            "upstream",
                            "shadow",
                            "class",
                            "5xx")
                    == 1);
  }

  @Test
  void aMirrorThatHangsResetsOrIsDownChangesNothingForTheClient() throws Exception {
    int n = 20;
    String[] routes = {"hang", "reset", "down"};
    for (int i = 0; i < n; i++) {
      for (String route : routes) {
        String uri = "/" + route + "/" + i;
        // half with a body: the copy's failure must not cut the body's way to the primary
        if (i % 2 == 0) assertPrimary(TestSupport.get(gw.url(uri)), "GET", uri, 0);
        else
          assertPrimary(TestSupport.send("POST", gw.url(uri), "x".repeat(5000)), "POST", uri, 5000);
      }
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> dropped("hang", "slow") == n);
    await().atMost(Duration.ofSeconds(60)).until(() -> dropped("reset", "error") == n);
    await().atMost(Duration.ofSeconds(60)).until(() -> dropped("down", "error") == n);
    Scrape s = Scrape.of(gw);
    for (String route : routes) {
      assertThat(s.value("bulwark_mirror_requests_total", "route", route, "upstream", route))
          .isEqualTo(n);
      assertThat(s.find("bulwark_mirror_responses_total", "route", route)).isEmpty();
      // the mirror's failures are not the primary's: its tries all succeeded, none was retried
      assertThat(s.find("bulwark_upstream_errors_total", "upstream", "primary")).isEmpty();
    }
    assertThat(s.find("bulwark_upstream_attempts_seconds_count", "upstream", "hang")).isEmpty();
  }

  @Test
  void aMirrorThatDoesNotReadIsAbandonedAndNeverHoldsTheClientsBodyBack() throws Exception {
    int size = 2 << 20;
    for (int i = 0; i < 3; i++) {
      String uri = "/stall/" + i;
      // the mirror takes none of it: were the client held back for it, this would never end
      assertPrimary(TestSupport.send("POST", gw.url(uri), "s".repeat(size)), "POST", uri, size);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> dropped("stall", "slow") == 3);
  }

  @Test
  void theInFlightCapDropsAndCountsThenFreesItsPlaces() throws Exception {
    for (int i = 0; i < 5; i++)
      assertPrimary(TestSupport.get(gw.url("/cap/" + i)), "GET", "/cap/" + i, 0);
    // two copies wait at the mirror (it does not answer); the other three found the cap full
    await().atMost(Duration.ofSeconds(60)).until(() -> waiting.size() == 2);
    assertThat(dropped("cap", "cap")).isEqualTo(3);
    Scrape s = Scrape.of(gw);
    assertThat(s.value("bulwark_mirror_requests_total", "route", "cap", "upstream", "held"))
        .isEqualTo(5);
    for (HttpServerRequest req; (req = waiting.poll()) != null; ) req.response().end("late");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                Scrape.of(gw)
                        .valueOrZero(
                            "bulwark_mirror_responses_total",
                            "route",
                            "cap",
                            "upstream",
                            "held",
                            "class",
                            "2xx")
                    == 2);
    assertPrimary(TestSupport.get(gw.url("/cap/again")), "GET", "/cap/again", 0);
    HttpServerRequest again = waiting.poll(60, TimeUnit.SECONDS);
    assertThat(again).as("a place is free again").isNotNull();
    assertThat(again.uri()).isEqualTo("/cap/again");
    again.response().end("late");
    assertThat(dropped("cap", "cap")).isEqualTo(3);
  }

  @Test
  void aMirrorWithNoUsableTargetIsCountedAsNoTarget() throws Exception {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              assertPrimary(TestSupport.get(gw.url("/notarget/x")), "GET", "/notarget/x", 0);
              return dropped("notarget", "no_target") >= 1;
            });
  }

  // ---- helpers

  /** The primary answered (the default echo of TestSupport.Upstream). */
  private static void assertPrimary(HttpResponse<String> r, String method, String uri, int bytes) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body())
        .isEqualTo(
            "{\"upstream\":\"primary\",\"method\":\""
                + method
                + "\",\"uri\":\""
                + uri
                + "\",\"bytes\":"
                + bytes
                + "}");
  }

  private static Copy awaitCopy(String uri) {
    await().atMost(Duration.ofSeconds(60)).until(() -> copies.containsKey(uri));
    return copies.get(uri);
  }

  private static double dropped(String route, String reason) throws Exception {
    return Scrape.of(gw)
        .valueOrZero(
            "bulwark_mirror_dropped_total",
            "route",
            route,
            "upstream",
            upstreamOf(route),
            "reason",
            reason);
  }

  private static String upstreamOf(String route) {
    return switch (route) {
      case "all", "sample" -> "shadow";
      case "cap" -> "held";
      case "notarget" -> "gone";
      default -> route;
    };
  }

  /** POSTs {@code body} with no Content-Length (chunked). */
  private static HttpResponse<String> chunked(String path, byte[] body) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(gw.url(path)))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
            .build();
    return TestSupport.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    // printable, so that the body goes as one char a byte
    for (int i = 0; i < n; i++) b[i] = (byte) ('a' + Math.floorMod(b[i], 26));
    return b;
  }

  private static String latin1(byte[] b) {
    return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
