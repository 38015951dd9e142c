package bulwark.it;

import static bulwark.it.GrpcProxyIT.method;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import bulwark.it.TestSupport.RunningGateway;
import io.grpc.CallOptions;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC-Web through the gateway (a route with grpcWeb: true), end to end: a real grpc-java server
 * (h2c) behind it, and browser-style clients over HTTP/1.1 (the Vert.x client here, and a python3
 * script with only the standard library) sending binary and text (base64) gRPC-Web. The gateway
 * sends gRPC upstream and the replies come back as gRPC-Web, their trailers in a last body frame.
 */
class GrpcWebIT {
  static final String ORIGIN = "https://app.example.com";

  static final MethodDescriptor<byte[], byte[]> UNARY =
      method("test.Echo", "Unary", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> SPLIT =
      method("test.Echo", "Split", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> FAIL =
      method("test.Echo", "Fail", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> PART_FAIL =
      method("test.Echo", "PartFail", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> LIMITED =
      method("test.Echo", "Limited", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> STEP =
      method("test.Echo", "Step", MethodType.SERVER_STREAMING);

  /** Step sends "first", then "second" and its end once the test completes this. */
  static volatile CompletableFuture<Void> stepRelease = new CompletableFuture<>();

  static final Metadata.Key<String> X_META =
      Metadata.Key.of("x-meta", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_META_ECHO =
      Metadata.Key.of("x-meta-echo", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_TRAILER =
      Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_DETAIL =
      Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CONTENT_TYPE =
      Metadata.Key.of("content-type", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TE = Metadata.Key.of("te", Metadata.ASCII_STRING_MARSHALLER);

  static Server server;
  static RunningGateway gw;
  static Vertx vertx;
  static HttpClientAgent http1;
  static HttpClientAgent http2;

  /** The request headers the server saw, in order. */
  static final LinkedBlockingQueue<Metadata> seen = new LinkedBlockingQueue<>();

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall(GrpcProxyIT.ECHO))
        .addMethod(LIMITED, ServerCalls.asyncUnaryCall(GrpcProxyIT.ECHO))
        .addMethod(
            SPLIT,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  int n = Integer.parseInt(text(req));
                  for (int i = 0; i < n; i++) obs.onNext(utf8("part-" + i));
                  obs.onCompleted();
                }))
        .addMethod(
            FAIL,
            // no message before the error: grpc-java answers trailers-only (status in the head)
            ServerCalls.asyncUnaryCall(
                (req, obs) -> {
                  Metadata t = new Metadata();
                  t.put(X_DETAIL, "why");
                  obs.onError(
                      Status.FAILED_PRECONDITION
                          .withDescription("not today \u00fc")
                          .asRuntimeException(t));
                }))
        .addMethod(
            STEP,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  obs.onNext(utf8("first"));
                  stepRelease.thenRun(
                      () -> {
                        obs.onNext(utf8("second"));
                        obs.onCompleted();
                      });
                }))
        .addMethod(
            PART_FAIL,
            // a message, then the error in the trailers
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  obs.onNext(utf8("first"));
                  obs.onError(Status.ABORTED.withDescription("second failed").asException());
                }))
        .build();
  }

  /** Records request headers, echoes x-meta as x-meta-echo, adds the trailer x-trailer: done. */
  static final ServerInterceptor META =
      new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
          seen.add(headers);
          String v = headers.get(X_META);
          return next.startCall(
              new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata h) {
                  if (v != null) h.put(X_META_ECHO, v);
                  super.sendHeaders(h);
                }

                @Override
                public void close(Status status, Metadata trailers) {
                  trailers.put(X_TRAILER, "done");
                  super.close(status, trailers);
                }
              },
              headers);
        }
      };

  @BeforeAll
  static void start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(service(), META))
            .build()
            .start();
    int dead = TestSupport.freePort();
    gw =
        RunningGateway.start(
            """
        server:
          listen: "127.0.0.1:${PORT}"
          http2: true
          shutdown: { gracePeriod: 5s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
          metrics: { enabled: true }
        upstreams:
          # the first HTTP/2 connection of each event loop (Netty's and grpc-java's classes loading)
          # can take seconds on a loaded machine: a generous connect bound, as in GrpcProxyIT
          greeter: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], timeouts: { connect: 30s, response: 60s } }
          dead: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
        middlewares:
          web:
            cors:
              allowOrigins: ["%s"]
              allowMethods: [POST]
              allowHeaders: [x-grpc-web, content-type, x-user-agent, grpc-timeout, x-meta]
              exposeHeaders: [grpc-status, grpc-message, x-meta-echo]
          once: { rateLimit: { key: route, rate: 1/min } }
        routes:
          - { name: limited, match: { path: /test.Echo/Limited }, upstream: greeter, grpcWeb: true, middlewares: [web, once] }
          - { name: greeter, match: { path: /test.Echo/** }, upstream: greeter, grpcWeb: true, middlewares: [web] }
          - { name: dead, match: { path: /dead.Service/** }, upstream: dead, grpcWeb: true }
        """
                .formatted(server.getPort(), dead, ORIGIN));
    vertx = Vertx.vertx();
    http1 =
        vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1));
    http2 =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
  }

  // ---- a gRPC-Web client ----

  /** A whole response: status, headers and body. */
  record Reply(int status, MultiMap headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** What a gRPC-Web body holds: its messages, then the trailers of its last frame. */
  record Frames(List<String> messages, Map<String, String> trailers) {}

  static Buffer frame(byte[] message) {
    return Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message);
  }

  static Reply post(
      HttpClientAgent client, String path, String contentType, Buffer body, String... headers)
      throws Exception {
    RequestOptions ro =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost("127.0.0.1")
            .setPort(gw.port)
            .setURI(path)
            .putHeader("content-type", contentType)
            .putHeader("x-grpc-web", "1")
            .putHeader("x-user-agent", "grpc-web-javascript/0.1");
    for (int i = 0; i < headers.length; i += 2) ro.putHeader(headers[i], headers[i + 1]);
    // the body handler is set in the send's own callback, as the head arrives: a step chained
    // after it may run on another event loop once the first bytes went by, and they would be lost
    return client
        .request(ro)
        .compose(
            req ->
                req.send(body)
                    .compose(
                        r ->
                            r.body()
                                .map(b -> new Reply(r.statusCode(), r.headers(), b.getBytes()))))
        .await(60, TimeUnit.SECONDS);
  }

  static Reply binary(String path, byte[] message, String... headers) throws Exception {
    return post(http1, path, "application/grpc-web+proto", frame(message), headers);
  }

  /** Splits a gRPC-Web body into frames: data frames, then one trailer frame (flag 0x80) last. */
  static Frames frames(byte[] body) {
    ByteBuffer b = ByteBuffer.wrap(body);
    List<String> messages = new ArrayList<>();
    Map<String, String> trailers = null;
    while (b.hasRemaining()) {
      assertThat(trailers).as("no frame after the trailer frame").isNull();
      int flag = b.get() & 0xFF;
      int length = b.getInt();
      assertThat(length)
          .as("a frame's length, at %d of %s", b.position() - 5, head(body))
          .isLessThanOrEqualTo(b.remaining());
      byte[] payload = new byte[length];
      b.get(payload);
      if ((flag & 0x80) == 0) {
        messages.add(text(payload));
        continue;
      }
      trailers = new LinkedHashMap<>();
      for (String line : text(payload).split("\r\n")) {
        if (line.isEmpty()) continue;
        int colon = line.indexOf(':');
        trailers.put(line.substring(0, colon), line.substring(colon + 1));
      }
    }
    return new Frames(messages, trailers);
  }

  /**
   * Decodes a text-mode body: base64 that may be several padded chunks one after the other (as a
   * browser's library reads it, four characters at a time).
   */
  static byte[] decodeChunks(byte[] text) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    assertThat(text.length % 4).as("whole base64 groups").isZero();
    for (int i = 0; i < text.length; i += 4)
      out.writeBytes(Base64.getDecoder().decode(java.util.Arrays.copyOfRange(text, i, i + 4)));
    return out.toByteArray();
  }

  /** The start of a body, for failure messages. */
  static String head(byte[] body) {
    return java.util.HexFormat.of().formatHex(body, 0, Math.min(body.length, 48))
        + (body.length > 48 ? "... (" + body.length + " bytes)" : "");
  }

  // ---- the tests ----

  @Test
  void unaryOverHttp11AndHttp2() throws Exception {
    for (HttpClientAgent client : List.of(http1, http2)) {
      seen.clear();
      Reply r =
          post(
              client,
              "/test.Echo/Unary",
              "application/grpc-web+proto",
              frame(utf8("hello")),
              "x-meta",
              "m-1");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("content-type")).isEqualTo("application/grpc-web+proto");
      assertThat(r.header("x-meta-echo")).isEqualTo("m-1");
      // the status is in the body, never in a head the browser may not be allowed to read
      assertThat(r.header("grpc-status")).isNull();
      Frames f = frames(r.body());
      assertThat(f.messages()).containsExactly("hello");
      assertThat(f.trailers()).containsEntry("grpc-status", "0").containsEntry("x-trailer", "done");
      // the server got gRPC over HTTP/2: its content type and TE: trailers
      Metadata up = seen.poll();
      assertThat(up.get(CONTENT_TYPE)).isEqualTo("application/grpc+proto");
      assertThat(up.get(X_META)).isEqualTo("m-1");
    }
  }

  @Test
  void serverStreamingSendsEveryMessageThenTheTrailers() throws Exception {
    Reply r = binary("/test.Echo/Split", utf8("50"));
    assertThat(r.status()).isEqualTo(200);
    Frames f = frames(r.body());
    assertThat(f.messages())
        .as("trailers %s", f.trailers())
        .hasSize(50)
        .startsWith("part-0", "part-1")
        .endsWith("part-49");
    assertThat(f.trailers()).containsEntry("grpc-status", "0");
  }

  /**
   * A streamed message reaches the client as soon as the server sent it, before the next one and
   * the end, in both modes (text mode holds no byte back to round a base64 group).
   */
  @Test
  void eachMessageReachesTheClientWhenTheServerSendsIt() throws Exception {
    for (boolean text : new boolean[] {false, true}) {
      stepRelease = new CompletableFuture<>();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      CompletableFuture<Void> ended = new CompletableFuture<>();
      Buffer body = frame(utf8("go"));
      RequestOptions ro =
          new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setHost("127.0.0.1")
              .setPort(gw.port)
              .setURI("/test.Echo/Step")
              .putHeader(
                  "content-type", text ? "application/grpc-web-text" : "application/grpc-web");
      http1
          .request(ro)
          .compose(
              req ->
                  req.send(
                      text ? Buffer.buffer(Base64.getEncoder().encode(body.getBytes())) : body))
          .onSuccess(
              r -> {
                r.handler(
                    b -> {
                      synchronized (got) {
                        got.writeBytes(b.getBytes());
                      }
                    });
                r.endHandler(v -> ended.complete(null));
              })
          .onFailure(ended::completeExceptionally);
      java.util.function.Supplier<Frames> soFar =
          () -> {
            byte[] bytes;
            synchronized (got) {
              bytes = got.toByteArray();
            }
            return frames(text ? decodeChunks(bytes) : bytes);
          };
      // the first message, whole, while the server still holds the rest
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .ignoreExceptions() // a frame may still be on its way in part
          .until(() -> soFar.get().messages().size() == 1);
      assertThat(ended).isNotDone();
      assertThat(soFar.get().messages()).containsExactly("first");
      stepRelease.complete(null);
      ended.get(60, TimeUnit.SECONDS);
      Frames all = soFar.get();
      assertThat(all.messages()).as("text %s", text).containsExactly("first", "second");
      assertThat(all.trailers()).containsEntry("grpc-status", "0");
    }
  }

  @Test
  void theServersErrorStatusIsInTheTrailerFrame() throws Exception {
    // trailers-only from the server: its status moves from the head into the body
    Reply r = binary("/test.Echo/Fail", utf8("x"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("application/grpc-web+proto");
    assertThat(r.header("grpc-status")).isNull();
    assertThat(r.header("grpc-message")).isNull();
    Frames f = frames(r.body());
    assertThat(f.messages()).isEmpty();
    assertThat(f.trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.FAILED_PRECONDITION.value()))
        .containsEntry("grpc-message", "not today %C3%BC")
        .containsEntry("x-detail", "why")
        .containsEntry("x-trailer", "done");

    // a message, then the error in the upstream's HTTP/2 trailers
    Frames p = frames(binary("/test.Echo/PartFail", utf8("x")).body());
    assertThat(p.messages()).containsExactly("first");
    assertThat(p.trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.ABORTED.value()))
        .containsEntry("grpc-message", "second failed");
  }

  @Test
  void textModeIsBase64BothWays() throws Exception {
    byte[] big = new byte[100_000];
    new Random(3).nextBytes(big);
    // the bytes as text: the server echoes them, and the client compares strings
    String message = Base64.getEncoder().encodeToString(big);
    byte[] framed = frame(utf8(message)).getBytes();
    // three base64 chunks, each padded on its own (1 and 2 '=' in the middle of the body)
    int a = 1001;
    int b = 50_002;
    Base64.Encoder enc = Base64.getEncoder();
    String body =
        enc.encodeToString(java.util.Arrays.copyOfRange(framed, 0, a))
            + enc.encodeToString(java.util.Arrays.copyOfRange(framed, a, b))
            + enc.encodeToString(java.util.Arrays.copyOfRange(framed, b, framed.length));
    assertThat(body.substring(0, body.length() - 2)).contains("=");
    Reply r =
        post(
            http1,
            "/test.Echo/Unary",
            "application/grpc-web-text",
            Buffer.buffer(body),
            "accept",
            "application/grpc-web-text");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("application/grpc-web-text");
    // the pieces of the reply as the gateway got them, each in base64 of its own
    Frames f = frames(decodeChunks(r.body()));
    assertThat(f.messages()).containsExactly(message);
    assertThat(f.trailers()).containsEntry("grpc-status", "0");

    // a stream of messages whose frames are not multiples of 3 bytes, the request unpadded
    String unpadded =
        Base64.getEncoder().withoutPadding().encodeToString(frame(utf8("40")).getBytes());
    Reply s =
        post(http1, "/test.Echo/Split", "application/grpc-web-text+proto", Buffer.buffer(unpadded));
    assertThat(s.header("content-type")).isEqualTo("application/grpc-web-text+proto");
    Frames sf = frames(decodeChunks(s.body()));
    assertThat(sf.messages()).hasSize(40).startsWith("part-0").endsWith("part-39");
    assertThat(sf.trailers()).containsEntry("grpc-status", "0");
  }

  @Test
  void aBodyThatIsNotBase64IsAGrpcWebError() throws Exception {
    Reply r =
        post(http1, "/test.Echo/Unary", "application/grpc-web-text", Buffer.buffer("AAAA*AAA"));
    assertThat(r.status()).isEqualTo(200);
    Frames f = frames(Base64.getDecoder().decode(r.body()));
    assertThat(f.trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.INTERNAL.value()));
    assertThat(f.trailers().get("grpc-message"))
        .startsWith("Bad Request: the request body: not valid gRPC-Web text (base64) at byte 4");
  }

  /**
   * The gateway's own errors for a gRPC-Web request are gRPC-Web statuses (200, the trailer frame
   * in the body, base64 in text mode), never problem+json; headers such as CORS's stay.
   */
  @Test
  void theGatewaysOwnErrorsAreGrpcWebStatuses() throws Exception {
    Reply none = binary("/other.Service/Call", utf8("x"));
    assertThat(none.status()).isEqualTo(200);
    assertThat(none.header("content-type")).isEqualTo("application/grpc-web+proto");
    assertThat(frames(none.body()).trailers())
        .containsExactly(
            Map.entry("grpc-status", Integer.toString(Status.Code.UNIMPLEMENTED.value())),
            Map.entry("grpc-message", "Not Found: no route matches POST /other.Service/Call"));

    Reply text =
        post(http1, "/other.Service/Call", "application/grpc-web-text", Buffer.buffer("AAAAAAA="));
    assertThat(text.header("content-type")).isEqualTo("application/grpc-web-text");
    assertThat(frames(Base64.getDecoder().decode(text.body())).trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.UNIMPLEMENTED.value()));

    Reply dead = binary("/dead.Service/Call", utf8("x"));
    assertThat(frames(dead.body()).trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.UNAVAILABLE.value()));
    assertThat(frames(dead.body()).trailers().get("grpc-message")).startsWith("Bad Gateway: ");

    // the first call of the minute passes, the next is rate limited
    Reply ok = binary("/test.Echo/Limited", utf8("ok"), "origin", ORIGIN);
    assertThat(frames(ok.body()).messages()).containsExactly("ok");
    Reply limited = binary("/test.Echo/Limited", utf8("again"), "origin", ORIGIN);
    assertThat(limited.status()).isEqualTo(200);
    assertThat(limited.header("access-control-allow-origin")).isEqualTo(ORIGIN);
    Frames lf = frames(limited.body());
    assertThat(lf.messages()).isEmpty();
    assertThat(lf.trailers())
        .containsEntry("grpc-status", Integer.toString(Status.Code.RESOURCE_EXHAUSTED.value()));
    assertThat(lf.trailers().get("grpc-message")).startsWith("Too Many Requests: ");
  }

  /**
   * A gRPC-Web call counts as a gRPC call in the metrics, with the status the upstream gave (in its
   * trailers, or its trailers-only head) before it went into the body.
   */
  @Test
  void grpcWebCallsAreCountedWithTheirFinalStatus() throws Exception {
    binary("/test.Echo/Unary", utf8("counted"));
    binary("/test.Echo/Fail", utf8("x"));
    post(http1, "/test.Echo/PartFail", "application/grpc-web-text", Buffer.buffer("AAAAAAA="));
    for (String[] s :
        new String[][] {
          {"Unary", "OK"}, {"Fail", "FAILED_PRECONDITION"}, {"PartFail", "ABORTED"}
        }) {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(
              () ->
                  GrpcObservabilityIT.grpcCount(
                      TestSupport.get(gw.adminUrl("/metrics")).body(),
                      "greeter",
                      "test.Echo",
                      s[0],
                      s[1]),
              v -> v >= 1);
    }
  }

  /** Plain gRPC on the same route passes unchanged (the gateway translates gRPC-Web only). */
  @Test
  void plainGrpcOnTheSameRouteStillWorks() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
    try {
      CallOptions opts = CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
      assertThat(text(ClientCalls.blockingUnaryCall(channel, UNARY, opts, utf8("plain"))))
          .isEqualTo("plain");
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> ClientCalls.blockingUnaryCall(channel, FAIL, opts, utf8("x")));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(e.getStatus().getDescription()).isEqualTo("not today \u00fc");
      assertThat(e.getTrailers().get(X_DETAIL)).isEqualTo("why");
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A browser's preflight for a gRPC-Web call, then the call itself from that origin. */
  @Test
  void corsPreflightThenTheCall() throws Exception {
    HttpClientResponse pre =
        http1
            .request(
                new RequestOptions()
                    .setMethod(HttpMethod.OPTIONS)
                    .setHost("127.0.0.1")
                    .setPort(gw.port)
                    .setURI("/test.Echo/Unary")
                    .putHeader("origin", ORIGIN)
                    .putHeader("access-control-request-method", "POST")
                    .putHeader(
                        "access-control-request-headers",
                        "x-grpc-web,content-type,x-user-agent,grpc-timeout"))
            .compose(req -> req.send().compose(r -> r.body().map(b -> r)))
            .await(60, TimeUnit.SECONDS);
    assertThat(pre.statusCode()).isEqualTo(204);
    assertThat(pre.getHeader("access-control-allow-origin")).isEqualTo(ORIGIN);
    assertThat(pre.getHeader("access-control-allow-methods")).contains("POST");
    assertThat(pre.getHeader("access-control-allow-headers"))
        .contains("x-grpc-web", "content-type", "x-user-agent", "grpc-timeout");

    Reply r = binary("/test.Echo/Unary", utf8("from the page"), "origin", ORIGIN);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("access-control-allow-origin")).isEqualTo(ORIGIN);
    assertThat(r.header("access-control-expose-headers"))
        .isEqualTo("grpc-status, grpc-message, x-meta-echo");
    assertThat(frames(r.body()).messages()).containsExactly("from the page");
  }

  /** A real client apart from the JVM: python3's standard library, as a browser's library sends. */
  @Test
  void aPythonBrowserStyleClientDecodesRepliesAndTrailers() throws Exception {
    Path script = Files.createTempFile("grpc_web_client", ".py");
    try (InputStream in = GrpcWebIT.class.getResourceAsStream("/grpcweb/grpc_web_client.py")) {
      Files.write(script, in.readAllBytes());
    }
    String out =
        run(List.of("python3", script.toString(), "127.0.0.1", Integer.toString(gw.port), ORIGIN));
    Map<String, JsonObject> byCase = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("{")) {
        JsonObject j = new JsonObject(line);
        byCase.put(j.getString("case"), j);
      }
    }
    assertThat(byCase)
        .containsOnlyKeys(
            "binary-unary", "text-unary", "text-stream", "binary-error", "text-no-route");

    JsonObject bin = byCase.get("binary-unary");
    assertThat(bin.getInteger("http")).isEqualTo(200);
    assertThat(bin.getString("contentType")).isEqualTo("application/grpc-web+proto");
    assertThat(bin.getString("allowOrigin")).isEqualTo(ORIGIN);
    assertThat(bin.getJsonArray("messages").getList()).containsExactly("hello from python");
    assertThat(bin.getJsonObject("trailers").getMap())
        .containsEntry("grpc-status", "0")
        .containsEntry("x-trailer", "done");

    JsonObject txt = byCase.get("text-unary");
    assertThat(txt.getString("contentType")).isEqualTo("application/grpc-web-text");
    assertThat(txt.getJsonArray("messages").getList()).containsExactly("hello in base64");
    assertThat(txt.getJsonObject("trailers").getMap()).containsEntry("grpc-status", "0");

    JsonObject stream = byCase.get("text-stream");
    assertThat(stream.getJsonArray("messages").getList())
        .containsExactly("part-0", "part-1", "part-2", "part-3", "part-4", "part-5", "part-6");
    assertThat(stream.getJsonObject("trailers").getMap()).containsEntry("grpc-status", "0");

    JsonObject err = byCase.get("binary-error");
    assertThat(err.getJsonArray("messages").getList()).isEmpty();
    assertThat(err.getJsonObject("trailers").getMap())
        .containsEntry("grpc-status", "9")
        .containsEntry("grpc-message", "not today %C3%BC")
        .containsEntry("x-detail", "why");

    JsonObject none = byCase.get("text-no-route");
    assertThat(none.getJsonObject("trailers").getMap())
        .containsEntry("grpc-status", "12")
        .containsEntry("grpc-message", "Not Found: no route matches POST /other.Service/Call");
  }

  /** Runs a real client to its end (killed if it outlives a generous bound); its stdout. */
  static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      CompletableFuture<byte[]> out =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command.get(0)).isTrue();
      String text = new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as("%s: %s", command, text).isZero();
      return text;
    } finally {
      p.destroyForcibly();
    }
  }
}
