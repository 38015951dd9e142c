package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Active health checks by grpc.health.v1.Health/Check against real gRPC servers: grpc-java's own
 * health service (HealthStatusManager), a server without one, and a hand-written health service
 * whose answers the test sets; over h2c, and over TLS with ALPN h2 (a Vert.x HTTP/2 server).
 */
class GrpcHealthIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  static final String SERVICE = "test.Echo";

  static final MethodDescriptor<byte[], byte[]> UNARY =
      GrpcProxyIT.method(SERVICE, "Unary", MethodType.UNARY);

  /** grpc.health.v1.Health/Check with raw bytes: a health service of the test's own. */
  static final MethodDescriptor<byte[], byte[]> CHECK =
      GrpcProxyIT.method("grpc.health.v1.Health", "Check", MethodType.UNARY);

  static Vertx vertx;
  static Path dir;
  static TestCerts.Pair ca;
  static TestCerts.Pair cert;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("bulwark-grpc-health");
    ca = TestCerts.ca(dir, "ca");
    cert = TestCerts.leaf(dir, ca, "up", "up.test", "up", "IP:127.0.0.1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * A grpc-java server (h2c) whose test.Echo/Unary answers its name, with grpc-java's health
   * service ({@link #health}), none, or a scripted one ({@link #answer}).
   */
  static final class App implements AutoCloseable {
    enum Health {
      STANDARD,
      NONE,
      SCRIPTED
    }

    final String name;
    final HealthStatusManager health = new HealthStatusManager();

    /**
     * The scripted service's answer: a HealthCheckResponse's bytes, a Status to fail with, or null
     * to never answer.
     */
    final AtomicReference<Object> answer = new AtomicReference<>();

    /** The HealthCheckRequest bytes the scripted service received. */
    final LinkedBlockingQueue<byte[]> requests = new LinkedBlockingQueue<>();

    final Server server;

    App(String name, Health kind) throws Exception {
      this.name = name;
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .addService(
                  ServerServiceDefinition.builder(SERVICE)
                      .addMethod(
                          UNARY,
                          ServerCalls.asyncUnaryCall(
                              (req, obs) -> {
                                obs.onNext(GrpcProxyIT.utf8(name));
                                obs.onCompleted();
                              }))
                      .build());
      switch (kind) {
        case STANDARD -> b.addService(health.getHealthService());
        case NONE -> {}
        case SCRIPTED ->
            b.addService(
                ServerServiceDefinition.builder("grpc.health.v1.Health")
                    .addMethod(
                        CHECK,
                        ServerCalls.asyncUnaryCall(
                            (req, obs) -> {
                              requests.add(req);
                              Object a = answer.get();
                              if (a instanceof byte[] bytes) {
                                obs.onNext(bytes);
                                obs.onCompleted();
                              } else if (a instanceof Status s) {
                                obs.onError(s.asRuntimeException());
                              } // null: never answers
                            }))
                    .build());
      }
      server = b.build().start();
      health.setStatus(SERVICE, ServingStatus.SERVING);
    }

    String url() {
      return "http://127.0.0.1:" + server.getPort();
    }

    String key() {
      return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void close() throws Exception {
      health.enterTerminalState();
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A gateway that gRPC clients reach over h2c, with these upstreams and a catch-all route. */
  static RunningGateway gateway(String upstreams, String firstUpstream) throws Exception {
    return RunningGateway.start(
        TestSupport.h2cHead()
            + """
        upstreams:
        %s
        routes:
          - { name: r, match: { path: /** }, upstream: %s }
        """
                .formatted(upstreams.indent(2).stripTrailing(), firstUpstream));
  }

  /** The check every upstream here uses, with this grpc section. */
  static String check(String grpc) {
    // a generous timeout, and three failures to go DOWN: every check opens a connection of its
    // own, and one slow check on a busy machine must not take a healthy target out
    return "healthCheck: { active: { grpc: %s, interval: 1s, timeout: 1s, healthyThreshold: 2,"
            .formatted(grpc)
        + " unhealthyThreshold: 3 } }";
  }

  static JsonObject upstream(RunningGateway gw, String name) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl("/upstreams"));
    assertThat(r.statusCode()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonObject("upstreams").getJsonObject(name);
  }

  static JsonObject target(RunningGateway gw, String upstream, String key) throws Exception {
    JsonArray ts = upstream(gw, upstream).getJsonArray("targets");
    for (int i = 0; i < ts.size(); i++) {
      if (ts.getJsonObject(i).getString("target").equals(key)) return ts.getJsonObject(i);
    }
    throw new AssertionError("no target " + key + " in " + ts.encode());
  }

  /** Waits until the target is in this state, its last check's detail satisfying {@code detail}. */
  static void awaitState(
      RunningGateway gw, String upstream, String key, String state, String detailPart) {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonObject t = target(gw, upstream, key);
              assertThat(t.getString("state")).isEqualTo(state);
              assertThat(t.getString("lastCheck")).contains(detailPart);
            });
  }

  static ManagedChannel channel(RunningGateway gw) {
    return NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
  }

  static String call(ManagedChannel ch) {
    return GrpcProxyIT.text(
        ClientCalls.blockingUnaryCall(
            ch, UNARY, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), new byte[0]));
  }

  @Test
  void aTargetGoesDownWhenItsServiceIsNotServingAndUpAgainWhenItServes() throws Exception {
    try (App a = new App("a", App.Health.STANDARD);
        App b = new App("b", App.Health.STANDARD);
        RunningGateway gw =
            gateway(
                "greeter: { protocol: h2c, targets: [ { url: %s }, { url: %s } ], %s }"
                    .formatted(a.url(), b.url(), check("{ service: " + SERVICE + " }")),
                "greeter")) {
      ManagedChannel ch = channel(gw);
      try {
        assertThat(upstream(gw, "greeter").getJsonObject("healthCheck").getString("active"))
            .isEqualTo("grpc");
        awaitState(gw, "greeter", a.key(), "UP", "SERVING");
        awaitState(gw, "greeter", b.key(), "UP", "SERVING");

        a.health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
        awaitState(gw, "greeter", a.key(), "DOWN", "NOT_SERVING (service 'test.Echo')");
        Map<String, Integer> answered = new HashMap<>();
        for (int i = 0; i < 20; i++) answered.merge(call(ch), 1, Integer::sum);
        assertThat(answered).containsExactly(Map.entry("b", 20));

        // no healthy target left: the gateway's own gRPC error
        b.health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
        awaitState(gw, "greeter", b.key(), "DOWN", "NOT_SERVING");
        StatusRuntimeException e =
            catchThrowableOfType(StatusRuntimeException.class, () -> call(ch));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

        a.health.setStatus(SERVICE, ServingStatus.SERVING);
        awaitState(gw, "greeter", a.key(), "UP", "SERVING");
        assertThat(call(ch)).isEqualTo("a");
      } finally {
        ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aServerWithoutTheHealthServiceIsDownAsUnimplemented() throws Exception {
    try (App a = new App("a", App.Health.NONE);
        RunningGateway gw =
            gateway(
                "greeter: { protocol: h2c, targets: [ { url: %s } ], %s }"
                    .formatted(a.url(), check("{ service: \"\" }")),
                "greeter")) {
      awaitState(
          gw,
          "greeter",
          a.key(),
          "DOWN",
          "grpc-status 12 UNIMPLEMENTED: Method not found: grpc.health.v1.Health/Check (the server"
              + " has no grpc.health.v1.Health service)");
    }
  }

  @Test
  void aServiceTheServerDoesNotKnowIsDownAndTheWholeServerIsUp() throws Exception {
    // two servers: what is learned about a target is kept per address, whatever the upstream
    try (App a = new App("a", App.Health.STANDARD);
        App b = new App("b", App.Health.STANDARD);
        RunningGateway gw =
            gateway(
                """
                wrong: { protocol: h2c, targets: [ { url: %s } ], %s }
                whole: { protocol: h2c, targets: [ { url: %s } ], %s }
                """
                    .formatted(
                        a.url(),
                        check("{ service: no.Such }"),
                        b.url(),
                        check("{ service: \"\" }")),
                "wrong")) {
      // grpc-java answers NOT_FOUND for a service it does not know (SERVICE_UNKNOWN is Watch's)
      awaitState(
          gw,
          "wrong",
          a.key(),
          "DOWN",
          "grpc-status 5 NOT_FOUND: unknown service no.Such (the server's health service does not"
              + " know service 'no.Such')");
      awaitState(gw, "whole", b.key(), "UP", "SERVING");
    }
  }

  @Test
  void everyAnswerButServingFailsWithItsReason() throws Exception {
    try (App a = new App("a", App.Health.SCRIPTED);
        RunningGateway gw =
            gateway(
                "greeter: { protocol: h2c, targets: [ { url: %s } ], %s }"
                    .formatted(a.url(), check("{ service: " + SERVICE + " }")),
                "greeter")) {
      a.answer.set(new byte[] {0x08, 3});
      awaitState(gw, "greeter", a.key(), "DOWN", "SERVICE_UNKNOWN (service 'test.Echo')");
      // the request the server got: HealthCheckRequest{service: "test.Echo"}
      byte[] req = a.requests.poll(10, TimeUnit.SECONDS);
      assertThat(req).containsExactly(GrpcProxyIT.utf8("\n\u0009test.Echo"));

      a.answer.set(new byte[] {0x08, 1});
      awaitState(gw, "greeter", a.key(), "UP", "SERVING");
      a.answer.set(new byte[0]); // proto3's default: UNKNOWN
      awaitState(gw, "greeter", a.key(), "DOWN", "UNKNOWN (service 'test.Echo')");
      a.answer.set(new byte[] {0x08, 1});
      awaitState(gw, "greeter", a.key(), "UP", "SERVING");
      a.answer.set(new byte[] {0x0A, 5, 'x'}); // not a HealthCheckResponse
      awaitState(
          gw,
          "greeter",
          a.key(),
          "DOWN",
          "the answer is not a HealthCheckResponse (status has wire type 2)");
      a.answer.set(new byte[] {0x08, 1});
      awaitState(gw, "greeter", a.key(), "UP", "SERVING");
      a.answer.set(Status.UNAVAILABLE.withDescription("draining \u00fc"));
      awaitState(gw, "greeter", a.key(), "DOWN", "grpc-status 14 UNAVAILABLE: draining \u00fc");
      a.answer.set(new byte[] {0x08, 1});
      awaitState(gw, "greeter", a.key(), "UP", "SERVING");
      a.answer.set(null); // never answers
      awaitState(gw, "greeter", a.key(), "DOWN", "no answer within 1000ms");
    }
  }

  @Test
  void aTargetThatRefusesConnectionsIsDown() throws Exception {
    int closed = TestSupport.freePort();
    try (RunningGateway gw =
        gateway(
            "greeter: { protocol: h2c, targets: [ { url: \"http://127.0.0.1:%d\" } ], %s }"
                .formatted(closed, check("{}")),
            "greeter")) {
      awaitState(gw, "greeter", "127.0.0.1:" + closed, "DOWN", "refused");
    }
  }

  static HttpServer h2c(
      HttpServerOptions o, io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> h)
      throws Exception {
    return vertx
        .createHttpServer(o)
        .requestHandler(h)
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void answersThatAreNotGrpcAreDownWithTheirReason() throws Exception {
    // HTTP/2 servers (h2c by prior knowledge) that are not gRPC servers
    HttpServer notFound =
        h2c(new HttpServerOptions(), req -> req.response().setStatusCode(404).end("no such path"));
    HttpServer plain =
        h2c(
            new HttpServerOptions(),
            req -> req.response().putHeader("content-type", "text/plain").end("ok"));
    HttpServer big =
        h2c(
            new HttpServerOptions(),
            req ->
                req.response()
                    .putHeader("content-type", "application/grpc")
                    .end(Buffer.buffer(new byte[100 * 1024])));
    // an HTTP/1.1 server that does not take HTTP/2 by prior knowledge
    HttpServer h1 =
        h2c(
            new HttpServerOptions().setHttp2ClearTextEnabled(false),
            req -> req.response().end("HTTP/1.1 only"));
    try (RunningGateway gw =
        gateway(
            """
            notfound: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], %s }
            plain: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], %s }
            big: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], %s }
            h1: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], %s }
            """
                .formatted(
                    notFound.actualPort(),
                    check("{}"),
                    plain.actualPort(),
                    check("{}"),
                    big.actualPort(),
                    check("{}"),
                    h1.actualPort(),
                    check("{}")),
            "notfound")) {
      awaitState(
          gw,
          "notfound",
          "127.0.0.1:" + notFound.actualPort(),
          "DOWN",
          "HTTP 404 to /grpc.health.v1.Health/Check: not a gRPC answer");
      awaitState(
          gw,
          "plain",
          "127.0.0.1:" + plain.actualPort(),
          "DOWN",
          "content-type text/plain and no grpc-status: not a gRPC answer");
      awaitState(
          gw,
          "big",
          "127.0.0.1:" + big.actualPort(),
          "DOWN",
          "the answer is over 64KiB: not a HealthCheckResponse");
      awaitState(
          gw,
          "h1",
          "127.0.0.1:" + h1.actualPort(),
          "DOWN",
          "target 127.0.0.1:"
              + h1.actualPort()
              + " did not answer HTTP/2 by prior knowledge (h2c): it answered HTTP/1.x");
    } finally {
      for (HttpServer x : List.of(notFound, plain, big, h1)) x.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A Vert.x HTTP/2 server over TLS that answers the health call by hand: SERVING in a message and
   * grpc-status 0 in trailers, after checking what a gRPC server needs of the request.
   */
  static HttpServer tlsHealthServer(List<HttpVersion> alpn) throws Exception {
    return vertx
        .createHttpServer(
            new HttpServerOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setAlpnVersions(alpn)
                .setKeyCertOptions(
                    new PemKeyCertOptions()
                        .setCertPath(cert.cert().toString())
                        .setKeyPath(cert.key().toString())))
        .requestHandler(
            req ->
                req.body()
                    .onSuccess(
                        body -> {
                          boolean ok =
                              req.version() == HttpVersion.HTTP_2
                                  && req.path().equals("/grpc.health.v1.Health/Check")
                                  && "application/grpc".equals(req.getHeader("content-type"))
                                  && "trailers".equals(req.getHeader("te"))
                                  && body.equals(Buffer.buffer(new byte[] {0, 0, 0, 0, 0}));
                          req.response()
                              .putHeader("content-type", "application/grpc")
                              .putTrailer("grpc-status", ok ? "0" : "3")
                              .end(Buffer.buffer(new byte[] {0, 0, 0, 0, 2, 0x08, 1}));
                        }))
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  @Test
  void overTlsTheCheckNegotiatesH2ByAlpnWithTheUpstreamCa() throws Exception {
    HttpServer h2 = tlsHealthServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    HttpServer h1 = tlsHealthServer(List.of(HttpVersion.HTTP_1_1));
    // a target of its own: what is learned about a target is kept per address
    HttpServer other = tlsHealthServer(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    String caPem = ca.cert().toString();
    try (RunningGateway gw =
        gateway(
            """
            h2: { protocol: h2, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] }, %s }
            auto: { protocol: auto, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] }, %s }
            noh2: { protocol: auto, targets: [ { url: "https://127.0.0.1:%d" } ], tls: { ca: [ "%s" ] }, %s }
            untrusted: { protocol: h2, targets: [ { url: "https://127.0.0.1:%d" } ], %s }
            """
                .formatted(
                    h2.actualPort(),
                    caPem,
                    check("{}"),
                    h2.actualPort(),
                    caPem,
                    check("{}"),
                    h1.actualPort(),
                    caPem,
                    check("{}"),
                    other.actualPort(),
                    check("{}")),
            "h2")) {
      String h2Key = "127.0.0.1:" + h2.actualPort();
      awaitState(gw, "h2", h2Key, "UP", "SERVING");
      awaitState(gw, "auto", h2Key, "UP", "SERVING");
      // a target that speaks only HTTP/1.1 cannot answer a gRPC check
      awaitState(
          gw,
          "noh2",
          "127.0.0.1:" + h1.actualPort(),
          "DOWN",
          "did not offer h2 in TLS ALPN (a gRPC check needs HTTP/2)");
      // without the upstream's CA the handshake fails, and the check says why
      awaitState(
          gw,
          "untrusted",
          "127.0.0.1:" + other.actualPort(),
          "DOWN",
          "Failed to create SSL connection: unable to find valid certification path");
    } finally {
      h2.close().await(10, TimeUnit.SECONDS);
      h1.close().await(10, TimeUnit.SECONDS);
      other.close().await(10, TimeUnit.SECONDS);
    }
  }
}
