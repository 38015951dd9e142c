package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import bulwark.it.RawH2Server.Mode;
import bulwark.it.TestSupport.RunningGateway;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 upstream connections checked by PING (upstreams[].h2), and upstreams that break the
 * protocol: each target is a {@link RawH2Server} that misbehaves in one way. The gateway's client
 * side must fail the affected stream cleanly (502, gRPC UNAVAILABLE), keep serving other upstreams,
 * and leak nothing (the run has paranoid leak detection).
 */
class H2LivenessIT {
  static RawH2Server ok, pinged, deaf, held, idle, data0, hpack, bigHead, smallHead;
  static RunningGateway gw;
  static ManagedChannel channel;

  /** One keep-alive connection to the gateway for sequential requests (so one event loop). */
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @BeforeAll
  static void start() throws Exception {
    ok = new RawH2Server(Mode.OK);
    pinged = new RawH2Server(Mode.OK);
    deaf = new RawH2Server(Mode.OK);
    held = new RawH2Server(Mode.HOLD);
    idle = new RawH2Server(Mode.OK);
    data0 = new RawH2Server(Mode.DATA_ON_STREAM_0);
    hpack = new RawH2Server(Mode.BAD_HPACK);
    bigHead = new RawH2Server(Mode.BIG_HEAD, 12_000);
    smallHead = new RawH2Server(Mode.BIG_HEAD, 6_000);
    gw =
        RunningGateway.start(
            TestSupport.h2cHead()
                + """
        upstreams:
          ok: { protocol: h2c, timeouts: { connect: 10s }, targets: [ { url: "http://127.0.0.1:%d" } ] }
          pinged:
            protocol: h2c
            timeouts: { connect: 10s, idle: 60s }
            h2: { pingInterval: 100ms, pingTimeout: 5s }
            targets: [ { url: "http://127.0.0.1:%d" } ]
          deaf:
            protocol: h2c
            timeouts: { connect: 10s, idle: 60s }
            h2: { pingInterval: 100ms, pingTimeout: 300ms }
            targets: [ { url: "http://127.0.0.1:%d" } ]
          # PINGs further apart than the idle timeout: only the no-streams rule keeps a silent
          # stream (a frame-counting idle timeout would cut it between two PINGs)
          held:
            protocol: h2c
            timeouts: { connect: 10s, idle: 300ms, response: 60s }
            h2: { pingInterval: 1s, pingTimeout: 5s }
            targets: [ { url: "http://127.0.0.1:%d" } ]
          idle:
            protocol: h2c
            timeouts: { connect: 10s, idle: 1s }
            h2: { pingInterval: 100ms, pingTimeout: 5s }
            targets: [ { url: "http://127.0.0.1:%d" } ]
          data0: { protocol: h2c, timeouts: { connect: 10s }, targets: [ { url: "http://127.0.0.1:%d" } ] }
          hpack: { protocol: h2c, timeouts: { connect: 10s }, targets: [ { url: "http://127.0.0.1:%d" } ] }
          bighead: { protocol: h2c, timeouts: { connect: 10s }, targets: [ { url: "http://127.0.0.1:%d" } ] }
          smallhead: { protocol: h2c, timeouts: { connect: 10s }, targets: [ { url: "http://127.0.0.1:%d" } ] }
        routes:
          - { name: ok, match: { path: /ok/** }, upstream: ok }
          - { name: pinged, match: { path: /pinged/** }, upstream: pinged }
          - { name: deaf, match: { path: /deaf/** }, upstream: deaf }
          - { name: held, match: { path: /held/** }, upstream: held }
          - { name: idle, match: { path: /idle/** }, upstream: idle }
          - { name: data0, match: { path: /data0/** }, upstream: data0 }
          - { name: grpc-data0, match: { path: /bad.Service/** }, upstream: data0 }
          - { name: hpack, match: { path: /hpack/** }, upstream: hpack }
          - { name: bighead, match: { path: /bighead/** }, upstream: bighead }
          - { name: smallhead, match: { path: /smallhead/** }, upstream: smallhead }
        """
                    .formatted(
                        ok.port(),
                        pinged.port(),
                        deaf.port(),
                        held.port(),
                        idle.port(),
                        data0.port(),
                        hpack.port(),
                        bigHead.port(),
                        smallHead.port()));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    for (RawH2Server s :
        new RawH2Server[] {ok, pinged, deaf, held, idle, data0, hpack, bigHead, smallHead})
      if (s != null) s.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(gw.url(path))).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void assertHealthyUpstreamServes() throws Exception {
    HttpResponse<String> r = get("/ok/x");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("ok");
  }

  /** bulwark_upstream_ping_timeouts_total of the upstream deaf (0 before the first). */
  static double pingTimeouts() throws Exception {
    String scrape = TestSupport.get(gw.adminUrl("/metrics")).body();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^bulwark_upstream_ping_timeouts_total\\{[^}]*upstream=\"deaf\"[^}]*} (\\S+)$")
            .matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  // ---- PINGs ----

  @Test
  void aHealthyIdleConnectionSurvivesPingsAndIsReused() throws Exception {
    assertThat(get("/pinged/a").body()).isEqualTo("ok");
    int before = pinged.pings.get();
    // the connection is idle: PINGs go out, and their answers keep it
    await().atMost(Duration.ofSeconds(30)).until(() -> pinged.pings.get() >= before + 5);
    assertThat(get("/pinged/b").body()).isEqualTo("ok");
    assertThat(pinged.accepted.get()).isEqualTo(1);
    assertThat(pinged.ended.get()).isZero();
  }

  @Test
  void aConnectionWhosePingsGoUnansweredIsClosedAndTheNextRequestOpensAnother() throws Exception {
    assertThat(get("/deaf/a").body()).isEqualTo("ok");
    assertThat(deaf.accepted.get()).isEqualTo(1);
    assertThat(pingTimeouts()).isZero();
    deaf.ackPings = false;
    // the gateway closes the connection once a PING went unanswered for pingTimeout
    await().atMost(Duration.ofSeconds(30)).until(() -> deaf.ended.get() == 1);
    assertThat(pingTimeouts()).isEqualTo(1);
    deaf.ackPings = true;
    assertThat(get("/deaf/b").body()).isEqualTo("ok");
    assertThat(deaf.accepted.get()).isEqualTo(2);
  }

  @Test
  void aSilentStreamOutlivesTheIdleTimeoutWhilePingsAreAnswered() throws Exception {
    CompletableFuture<HttpResponse<String>> r =
        HTTP.sendAsync(
            HttpRequest.newBuilder(URI.create(gw.url("/held/a")))
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(30)).until(() -> held.requests.get() == 1);
    int before = held.pings.get();
    // 3 PINGs 1s apart at least: the stream has been silent for 10 times timeouts.idle (300ms),
    // and the connection silent for over 300ms between two PINGs
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> held.pings.get() >= before + 3 || held.ended.get() > 0);
    assertThat(held.ended.get()).isZero();
    held.release();
    HttpResponse<String> done = r.get(30, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo("ok");
  }

  @Test
  void aConnectionWithoutStreamsIsClosedAfterTheIdleTimeoutDespitePings() throws Exception {
    assertThat(get("/idle/a").body()).isEqualTo("ok");
    // PINGs are answered, yet a connection that carries nothing is closed after timeouts.idle
    await().atMost(Duration.ofSeconds(30)).until(() -> idle.ended.get() == 1);
    assertThat(idle.pings.get()).isPositive();
    assertThat(get("/idle/b").body()).isEqualTo("ok");
    assertThat(idle.accepted.get()).isEqualTo(2);
  }

  // ---- malformed HTTP/2 ----

  @Test
  void aDataFrameOnStreamZeroFailsTheRequestWith502() throws Exception {
    HttpResponse<String> r = get("/data0/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertHealthyUpstreamServes();
  }

  @Test
  void aDataFrameOnStreamZeroFailsAGrpcCallWithUnavailable() throws Exception {
    MethodDescriptor<byte[], byte[]> m =
        GrpcProxyIT.method("bad.Service", "Call", MethodDescriptor.MethodType.UNARY);
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    m,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                    new byte[] {1}));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertHealthyUpstreamServes();
  }

  @Test
  void aHeaderBlockHpackCannotDecodeFailsTheRequestWith502() throws Exception {
    HttpResponse<String> r = get("/hpack/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertHealthyUpstreamServes();
  }

  @Test
  void aResponseHeadOverTheHeaderListLimitFailsTheRequestWith502() throws Exception {
    // the same response with a header under the limit (8 KiB) passes: the size is what fails
    HttpResponse<String> small = get("/smallhead/x");
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(small.headers().firstValue("x-big")).hasValue("v".repeat(6_000));
    assertThat(small.body()).isEqualTo("ok");

    HttpResponse<String> r = get("/bighead/x");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(r.headers().firstValue("x-big")).isEmpty();
    assertHealthyUpstreamServes();
  }
}
