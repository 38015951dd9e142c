package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
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
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC through the gateway, end to end with grpc-java on both sides: a real server (h2c) behind an
 * upstream with protocol h2c, a real client speaking h2c to the gateway. The service is
 * hand-written (byte[] messages, no protobuf): the gateway sees only HTTP/2 frames either way.
 */
class GrpcProxyIT {
  static final String SERVICE = "test.Echo";

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream in) {
          try {
            return in.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static MethodDescriptor<byte[], byte[]> method(String service, String name, MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  static final MethodDescriptor<byte[], byte[]> UNARY = method(SERVICE, "Unary", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> SPLIT =
      method(SERVICE, "Split", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> CONCAT =
      method(SERVICE, "Concat", MethodType.CLIENT_STREAMING);
  static final MethodDescriptor<byte[], byte[]> CHAT =
      method(SERVICE, "Chat", MethodType.BIDI_STREAMING);
  static final MethodDescriptor<byte[], byte[]> PAUSE =
      method(SERVICE, "Pause", MethodType.BIDI_STREAMING);
  static final MethodDescriptor<byte[], byte[]> FAIL = method(SERVICE, "Fail", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> HANG = method(SERVICE, "Hang", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> STALL = method(SERVICE, "Stall", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> DEADLINE =
      method(SERVICE, "Deadline", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> LIMITED =
      method(SERVICE, "Limited", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> AUTH = method(SERVICE, "Auth", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> DENIED =
      method(SERVICE, "Denied", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> NO_ROUTE =
      method("other.Service", "Call", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> DEAD =
      method("dead.Service", "Call", MethodType.UNARY);

  static final Metadata.Key<String> X_META =
      Metadata.Key.of("x-meta", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_META_ECHO =
      Metadata.Key.of("x-meta-echo", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_TRAILER =
      Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_DETAIL =
      Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

  static final java.util.concurrent.ScheduledExecutorService LATER =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

  static Server server;
  static ManagedChannel channel;
  static RunningGateway gw;
  static Vertx vertx;

  /** The request headers the server saw, in order. */
  static final LinkedBlockingQueue<Metadata> seen = new LinkedBlockingQueue<>();

  /** Calls of Hang that started, and those that the server saw cancelled. */
  static final AtomicInteger hangsStarted = new AtomicInteger();

  static final AtomicInteger hangsCancelled = new AtomicInteger();

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static ServerCallHandler<byte[], byte[]> unary(ServerCalls.UnaryMethod<byte[], byte[]> method) {
    return ServerCalls.asyncUnaryCall(method);
  }

  static final ServerCalls.UnaryMethod<byte[], byte[]> ECHO =
      (req, obs) -> {
        obs.onNext(req);
        obs.onCompleted();
      };

  static final ServerCalls.UnaryMethod<byte[], byte[]> HANG_METHOD =
      (req, obs) -> {
        ((ServerCallStreamObserver<byte[]>) obs)
            .setOnCancelHandler(hangsCancelled::incrementAndGet);
        hangsStarted.incrementAndGet();
      };

  static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(UNARY, unary(ECHO))
        .addMethod(LIMITED, unary(ECHO))
        .addMethod(AUTH, unary(ECHO))
        .addMethod(DENIED, unary(ECHO))
        .addMethod(
            SPLIT,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  int n = Integer.parseInt(text(req));
                  for (int i = 0; i < n; i++) obs.onNext(utf8("part-" + i));
                  obs.onCompleted();
                }))
        .addMethod(
            CONCAT,
            ServerCalls.asyncClientStreamingCall(
                obs ->
                    new StreamObserver<>() {
                      final ByteArrayOutputStream all = new ByteArrayOutputStream();

                      @Override
                      public void onNext(byte[] b) {
                        all.writeBytes(b);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        obs.onNext(all.toByteArray());
                        obs.onCompleted();
                      }
                    }))
        .addMethod(
            CHAT,
            ServerCalls.asyncBidiStreamingCall(
                obs ->
                    new StreamObserver<>() {
                      @Override
                      public void onNext(byte[] b) {
                        obs.onNext(utf8("re: " + text(b)));
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        obs.onCompleted();
                      }
                    }))
        .addMethod(
            PAUSE,
            ServerCalls.asyncBidiStreamingCall(
                obs ->
                    new StreamObserver<>() {
                      @Override
                      public void onNext(byte[] b) {
                        // answers each message only after longer than the gateway's
                        // bodyReadTimeout (1s): the client is silent meanwhile
                        LATER.schedule(
                            () -> {
                              synchronized (obs) {
                                obs.onNext(utf8("later: " + text(b)));
                              }
                            },
                            1500,
                            TimeUnit.MILLISECONDS);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        LATER.schedule(
                            () -> {
                              synchronized (obs) {
                                obs.onCompleted();
                              }
                            },
                            1600,
                            TimeUnit.MILLISECONDS);
                      }
                    }))
        .addMethod(
            FAIL,
            unary(
                (req, obs) -> {
                  Metadata t = new Metadata();
                  t.put(X_DETAIL, "why");
                  obs.onError(
                      Status.FAILED_PRECONDITION
                          .withDescription("not today \u00fc")
                          .asRuntimeException(t));
                }))
        .addMethod(HANG, unary(HANG_METHOD))
        .addMethod(STALL, unary(HANG_METHOD))
        .addMethod(
            DEADLINE,
            unary(
                (req, obs) -> {
                  // answers with the deadline the server was given, in milliseconds
                  io.grpc.Deadline d = io.grpc.Context.current().getDeadline();
                  obs.onNext(
                      utf8(d == null ? "none" : "" + d.timeRemaining(TimeUnit.MILLISECONDS)));
                  obs.onCompleted();
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
            .maxInboundMessageSize(32 << 20)
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
          limits: { maxBodyBytes: 64MiB, bodyReadTimeout: 1s }
          shutdown: { gracePeriod: 5s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
        upstreams:
          greeter: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], timeouts: { connect: 10s, response: 60s } }
          dead: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
        middlewares:
          once: { rateLimit: { key: route, rate: 1/min } }
          keys: { apiKey: { consumers: { alice: ["%s"] } } }
          nobody: { ipRules: { deny: ["127.0.0.0/8", "::1"] } }
          slow: { fault: { delay: { percent: 100%%, duration: 300ms } } }
        routes:
          - { name: stall, match: { path: /test.Echo/Stall }, upstream: greeter, timeout: 300ms }
          - { name: deadline, match: { path: /test.Echo/Deadline }, upstream: greeter, timeout: 60s, middlewares: [slow] }
          - { name: limited, match: { path: /test.Echo/Limited }, upstream: greeter, middlewares: [once] }
          - { name: auth, match: { path: /test.Echo/Auth }, upstream: greeter, middlewares: [keys] }
          - { name: denied, match: { path: /test.Echo/Denied }, upstream: greeter, middlewares: [nobody] }
          - { name: greeter, match: { path: /test.Echo/** }, upstream: greeter }
          - { name: dead, match: { path: /dead.Service/** }, upstream: dead }
        """
                .formatted(server.getPort(), dead, "0".repeat(64)));
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", gw.port)
            .usePlaintext()
            .maxInboundMessageSize(32 << 20)
            .build();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
    LATER.shutdownNow();
  }

  static CallOptions opts() {
    return CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @Test
  void unaryWithMetadataStatusAndTrailersPassedUnchanged() {
    Metadata md = new Metadata();
    md.put(X_META, "m-1");
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel ch =
        ClientInterceptors.intercept(
            channel,
            MetadataUtils.newAttachHeadersInterceptor(md),
            MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    seen.clear();
    byte[] r = ClientCalls.blockingUnaryCall(ch, UNARY, opts(), utf8("hello"));
    assertThat(text(r)).isEqualTo("hello");
    assertThat(seen.poll().get(X_META)).isEqualTo("m-1");
    assertThat(headers.get().get(X_META_ECHO)).isEqualTo("m-1");
    assertThat(trailers.get().get(X_TRAILER)).isEqualTo("done");

    // an error status with its message and a custom trailer, as the server sent them
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(ch, FAIL, opts(), utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).isEqualTo("not today \u00fc");
    assertThat(e.getTrailers().get(X_DETAIL)).isEqualTo("why");
    assertThat(e.getTrailers().get(X_TRAILER)).isEqualTo("done");
  }

  @Test
  void sixteenMebibyteMessagesBothWays() {
    byte[] big = new byte[16 << 20];
    new Random(7).nextBytes(big);
    byte[] r = ClientCalls.blockingUnaryCall(channel, UNARY, opts(), big);
    assertThat(r).hasSize(big.length).isEqualTo(big);
  }

  @Test
  void serverStreaming() {
    Iterator<byte[]> it =
        ClientCalls.blockingServerStreamingCall(channel, SPLIT, opts(), utf8("200"));
    List<String> got = new ArrayList<>();
    it.forEachRemaining(b -> got.add(text(b)));
    assertThat(got).hasSize(200).startsWith("part-0", "part-1").endsWith("part-199");
  }

  @Test
  void clientStreaming() throws Exception {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    StreamObserver<byte[]> req =
        ClientCalls.asyncClientStreamingCall(
            channel.newCall(CONCAT, opts()), observer(result, new ArrayList<>()));
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      String chunk = "chunk-" + i + ";";
      expected.append(chunk);
      req.onNext(utf8(chunk));
    }
    req.onCompleted();
    assertThat(text(result.get(60, TimeUnit.SECONDS))).isEqualTo(expected.toString());
  }

  @Test
  void bidiStreaming() throws Exception {
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    List<String> replies = new ArrayList<>();
    StreamObserver<byte[]> req =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(CHAT, opts()), observer(done, replies));
    for (int i = 0; i < 50; i++) req.onNext(utf8("m" + i));
    req.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    synchronized (replies) {
      assertThat(replies).hasSize(50).startsWith("re: m0").endsWith("re: m49");
    }
  }

  /** A gRPC stream may idle longer than server.limits.bodyReadTimeout (1s here) and go on. */
  @Test
  void aStreamThatIdlesLongerThanTheBodyReadTimeoutGoesOn() throws Exception {
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    List<String> replies = new ArrayList<>();
    StreamObserver<byte[]> req =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(PAUSE, opts()), observer(done, replies));
    req.onNext(utf8("a"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              synchronized (replies) {
                return replies.size() == 1;
              }
            });
    req.onNext(utf8("b"));
    req.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    synchronized (replies) {
      assertThat(replies).containsExactly("later: a", "later: b");
    }
  }

  /** Collects the messages; completes with the last one, or fails with the error. */
  static StreamObserver<byte[]> observer(CompletableFuture<byte[]> done, List<String> messages) {
    return new StreamObserver<>() {
      byte[] last;

      @Override
      public void onNext(byte[] b) {
        last = b;
        synchronized (messages) {
          messages.add(text(b));
        }
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(last);
      }
    };
  }

  @Test
  void cancellationFromTheClientReachesTheServer() {
    int started = hangsStarted.get();
    int cancelled = hangsCancelled.get();
    ListenableFuture<byte[]> f =
        ClientCalls.futureUnaryCall(channel.newCall(HANG, opts()), utf8("wait"));
    await().atMost(Duration.ofSeconds(60)).until(() -> hangsStarted.get() > started);
    f.cancel(true);
    await().atMost(Duration.ofSeconds(60)).until(() -> hangsCancelled.get() > cancelled);
  }

  @Test
  void aClientDeadlineEndsTheCallAndReachesTheServer() {
    int cancelled = hangsCancelled.get();
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    HANG,
                    CallOptions.DEFAULT.withDeadlineAfter(500, TimeUnit.MILLISECONDS),
                    utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    await().atMost(Duration.ofSeconds(60)).until(() -> hangsCancelled.get() > cancelled);
  }

  /**
   * grpc-timeout bounds the route timeout: a client that sends the header but does not enforce it
   * (a raw HTTP/2 client) gets DEADLINE_EXCEEDED from the gateway, and the upstream call is
   * cancelled.
   */
  @Test
  void grpcTimeoutBoundsTheRouteTimeout() throws Exception {
    int cancelled = hangsCancelled.get();
    HttpClientAgent http =
        vertx
            .httpClientBuilder()
            .with(
                new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_2)
                    .setHttp2ClearTextUpgrade(false))
            .build();
    Buffer frame = Buffer.buffer().appendByte((byte) 0).appendInt(1).appendByte((byte) 'x');
    HttpClientResponse r =
        http.request(
                new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost("127.0.0.1")
                    .setPort(gw.port)
                    .setURI("/test.Echo/Hang")
                    .putHeader("content-type", "application/grpc")
                    .putHeader("te", "trailers")
                    .putHeader("grpc-timeout", "400m"))
            .compose(req -> req.send(frame).compose(resp -> resp.body().map(b -> resp)))
            .await(60, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("grpc-status")).isEqualTo("4");
    assertThat(r.getHeader("grpc-message")).contains("Gateway Timeout");
    await().atMost(Duration.ofSeconds(60)).until(() -> hangsCancelled.get() > cancelled);
    http.close();
  }

  @Test
  void grpcTimeoutUpstreamIsWhatIsLeft() {
    // the route timeout (60s) bounds a longer client deadline; the 300 ms the fault held the call
    // are gone from what the target is given
    byte[] longer =
        ClientCalls.blockingUnaryCall(
            channel,
            DEADLINE,
            CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS),
            utf8(""));
    assertThat(Long.parseLong(text(longer))).isBetween(1L, 59_700L);
    // a client deadline shorter than the route timeout is passed on, less what the gateway spent
    byte[] shorter =
        ClientCalls.blockingUnaryCall(
            channel,
            DEADLINE,
            CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
            utf8(""));
    assertThat(Long.parseLong(text(shorter))).isBetween(1L, 19_700L);
    // no client deadline: none is made up for the target
    byte[] none = ClientCalls.blockingUnaryCall(channel, DEADLINE, CallOptions.DEFAULT, utf8(""));
    assertThat(text(none)).isEqualTo("none");
  }

  static Status statusOf(MethodDescriptor<byte[], byte[]> m) {
    return failure(m, () -> ClientCalls.blockingUnaryCall(channel, m, opts(), utf8("x")));
  }

  /** The status a call of {@code m} fails with (the test fails if it does not). */
  static Status failure(
      MethodDescriptor<?, ?> m, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
    assertThat(e).as("%s should fail", m.getFullMethodName()).isNotNull();
    return e.getStatus();
  }

  /**
   * Each error the gateway makes comes as a gRPC status with the gateway's own message
   * (grpc-message), not as an HTTP error that grpc-java would map by its HTTP status (it maps 429
   * and 504 to UNAVAILABLE, and says "HTTP status code ...").
   */
  @Test
  void theGatewaysOwnErrorsAreGrpcStatuses() {
    assertThat(statusOf(NO_ROUTE))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED))
        .satisfies(
            s ->
                assertThat(s.getDescription())
                    .isEqualTo("Not Found: no route matches POST /other.Service/Call"));
    assertThat(statusOf(DEAD))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE))
        .satisfies(s -> assertThat(s.getDescription()).startsWith("Bad Gateway: "));
    assertThat(statusOf(STALL))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED))
        .satisfies(s -> assertThat(s.getDescription()).startsWith("Gateway Timeout: "));
    assertThat(statusOf(AUTH))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED))
        .satisfies(s -> assertThat(s.getDescription()).startsWith("Unauthorized: "));
    assertThat(statusOf(DENIED))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED))
        .satisfies(
            s ->
                assertThat(s.getDescription())
                    .isEqualTo("Forbidden: requests from 127.0.0.1 are not allowed on this route"));
    // the first call of the minute passes, the next is rate limited
    assertThat(text(ClientCalls.blockingUnaryCall(channel, LIMITED, opts(), utf8("ok"))))
        .isEqualTo("ok");
    assertThat(statusOf(LIMITED))
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .satisfies(s -> assertThat(s.getDescription()).startsWith("Too Many Requests: "));
  }
}
