package bulwark.it;

import static bulwark.it.GrpcProxyIT.method;
import static bulwark.it.GrpcProxyIT.text;
import static bulwark.it.GrpcProxyIT.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import bulwark.it.OtlpReceiver.Received;
import bulwark.it.TestSupport.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC in the access log (rpc.* fields), the metrics ({@code bulwark_grpc_requests_total}) and the
 * server span, end to end with grpc-java on both sides; and back-pressure toward a gRPC client that
 * reads slowly. The service is hand-written (byte[] messages), as in {@link GrpcProxyIT}.
 */
class GrpcObservabilityIT {
  static final String SERVICE = "test.Obs";

  static final MethodDescriptor<byte[], byte[]> UNARY = method(SERVICE, "Unary", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> NOT_FOUND =
      method(SERVICE, "Missing", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> PART_THEN_ABORT =
      method(SERVICE, "PartThenAbort", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> HANG = method(SERVICE, "Hang", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> PUSH =
      method(SERVICE, "Push", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<byte[], byte[]> DEAD =
      method("dead.Service", "Call", MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> NO_ROUTE =
      method("nowhere.Service", "Call", MethodType.UNARY);

  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  static final ObjectMapper JSON = new ObjectMapper();

  /** The size of each message Push sends. */
  static final int PUSH_MESSAGE = 256 << 10;

  /** Calls of Hang that started. */
  static final AtomicInteger hangsStarted = new AtomicInteger();

  /** Push's messages handed to grpc-java so far. */
  static final AtomicInteger pushed = new AtomicInteger();

  /** Push stopped because its call is not ready (flow control), with messages left to send. */
  static final AtomicBoolean pushStalled = new AtomicBoolean();

  static Server server;
  static ManagedChannel channel;
  static RunningGateway gw;
  static OtlpReceiver collector;
  static Path accessLog;

  static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(UNARY, GrpcProxyIT.unary(GrpcProxyIT.ECHO))
        .addMethod(
            NOT_FOUND,
            GrpcProxyIT.unary(
                (req, obs) ->
                    obs.onError(Status.NOT_FOUND.withDescription("no such thing").asException())))
        .addMethod(
            PART_THEN_ABORT,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  // a message first: the status then comes in real trailers, not trailers-only
                  obs.onNext(utf8("part"));
                  obs.onError(Status.ABORTED.withDescription("half way").asException());
                }))
        .addMethod(HANG, GrpcProxyIT.unary((req, obs) -> hangsStarted.incrementAndGet()))
        .addMethod(
            PUSH,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  ServerCallStreamObserver<byte[]> so = (ServerCallStreamObserver<byte[]>) obs;
                  int n = Integer.parseInt(text(req));
                  byte[] msg = new byte[PUSH_MESSAGE];
                  AtomicBoolean done = new AtomicBoolean();
                  // sends while the call is ready (grpc-java's flow control), as a well-behaved
                  // streaming server does; runs on the call's serialized executor
                  Runnable drain =
                      () -> {
                        pushStalled.set(false);
                        while (so.isReady() && pushed.get() < n) {
                          so.onNext(msg);
                          pushed.incrementAndGet();
                        }
                        if (pushed.get() < n) pushStalled.set(true);
                        else if (done.compareAndSet(false, true)) so.onCompleted();
                      };
                  so.setOnReadyHandler(drain);
                  drain.run();
                }))
        .build();
  }

  @BeforeAll
  static void start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(service())
            .build()
            .start();
    collector = OtlpReceiver.http();
    accessLog = Files.createTempDirectory("bulwark-grpc-obs").resolve("access.log");
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
          accessLog: { enabled: true, output: "%s" }
          metrics: { enabled: true }
          tracing: { enabled: true, serviceName: edge, scheduleDelay: 20ms, endpoint: "%s", sampleRatio: 100%% }
        upstreams:
          greeter: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ], timeouts: { connect: 10s, response: 60s } }
          dead: { protocol: h2c, targets: [ { url: "http://127.0.0.1:%d" } ] }
        routes:
          - { name: obs, match: { path: /test.Obs/** }, upstream: greeter }
          - { name: many, match: { path: /test.Many/** }, upstream: greeter }
          - { name: dead, match: { path: /dead.Service/** }, upstream: dead }
        """
                .formatted(
                    accessLog.toString().replace("\\", "/"),
                    collector.endpoint(),
                    server.getPort(),
                    dead));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (collector != null) collector.close();
  }

  static CallOptions opts() {
    return CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** The channel with an x-request-id of its own, so the call's access-log line can be found. */
  static Channel tagged(String requestId) {
    Metadata md = new Metadata();
    md.put(REQUEST_ID, requestId);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
  }

  /** The access-log line of the request with this id, once written. */
  static JsonNode logLine(String requestId) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> findLine(requestId), Optional::isPresent)
        .orElseThrow();
  }

  static Optional<JsonNode> findLine(String requestId) throws Exception {
    if (!Files.exists(accessLog)) return Optional.empty();
    for (String l : Files.readAllLines(accessLog)) {
      if (!l.contains(requestId)) continue;
      JsonNode n = JSON.readTree(l);
      if (requestId.equals(n.path("http.request.id").asText())) return Optional.of(n);
    }
    return Optional.empty();
  }

  static String scrape() throws Exception {
    return TestSupport.get(gw.adminUrl("/metrics")).body();
  }

  /** The value of one bulwark_grpc_requests_total series, or -1 when it is not there. */
  static double grpcCount(String scrape, String route, String service, String method, String st) {
    String series =
        "bulwark_grpc_requests_total{grpc_status=\"%s\",method=\"%s\",route=\"%s\",service=\"%s\"} "
            .formatted(st, method, route, service);
    for (String l : scrape.split("\n"))
      if (l.startsWith(series)) return Double.parseDouble(l.substring(series.length()).trim());
    return -1;
  }

  static double awaitCount(String route, String service, String method, String st, double n) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> grpcCount(scrape(), route, service, method, st), v -> v >= n);
  }

  /** The server span of the request whose access-log line is {@code line}. */
  static Received serverSpan(JsonNode line) {
    return collector.await(line.path("trace.id").asText(), SpanKind.SPAN_KIND_SERVER);
  }

  static String newId() {
    return "grpc-" + UUID.randomUUID();
  }

  @Test
  void okCallIsLoggedCountedAndTraced() throws Exception {
    String id = newId();
    assertThat(text(ClientCalls.blockingUnaryCall(tagged(id), UNARY, opts(), utf8("hi"))))
        .isEqualTo("hi");
    JsonNode l = logLine(id);
    assertThat(l.path("rpc.system").asText()).isEqualTo("grpc");
    assertThat(l.path("rpc.service").asText()).isEqualTo("test.Obs");
    assertThat(l.path("rpc.method").asText()).isEqualTo("Unary");
    assertThat(l.path("rpc.grpc.status_code").isInt()).isTrue();
    assertThat(l.path("rpc.grpc.status_code").asInt()).isEqualTo(0);
    assertThat(l.path("http.response.status_code").asInt()).isEqualTo(200);
    assertThat(l.path("bulwark.route").asText()).isEqualTo("obs");

    assertThat(awaitCount("obs", "test.Obs", "Unary", "OK", 1)).isEqualTo(1.0);

    Received span = serverSpan(l);
    assertThat(span.attr("rpc.system")).isEqualTo("grpc");
    assertThat(span.attr("rpc.service")).isEqualTo("test.Obs");
    assertThat(span.attr("rpc.method")).isEqualTo("Unary");
    assertThat(span.attr("rpc.grpc.status_code")).isEqualTo(0L);
  }

  @Test
  void upstreamErrorStatusTrailersOnlyAndAfterAMessage() throws Exception {
    // trailers-only: grpc-java answers an error with no message in the one HEADERS frame
    String id = newId();
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(tagged(id), NOT_FOUND, opts(), utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    JsonNode l = logLine(id);
    assertThat(l.path("rpc.method").asText()).isEqualTo("Missing");
    assertThat(l.path("rpc.grpc.status_code").asInt()).isEqualTo(5);
    assertThat(l.path("http.response.status_code").asInt()).isEqualTo(200);
    assertThat(awaitCount("obs", "test.Obs", "Missing", "NOT_FOUND", 1)).isEqualTo(1.0);
    assertThat(grpcCount(scrape(), "obs", "test.Obs", "Missing", "OK")).isEqualTo(-1);
    assertThat(serverSpan(l).attr("rpc.grpc.status_code")).isEqualTo(5L);

    // a message, then the status in trailers
    String id2 = newId();
    Iterator<byte[]> it =
        ClientCalls.blockingServerStreamingCall(tagged(id2), PART_THEN_ABORT, opts(), utf8("x"));
    assertThat(text(it.next())).isEqualTo("part");
    StatusRuntimeException e2 = catchThrowableOfType(StatusRuntimeException.class, it::hasNext);
    assertThat(e2.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
    JsonNode l2 = logLine(id2);
    assertThat(l2.path("rpc.method").asText()).isEqualTo("PartThenAbort");
    assertThat(l2.path("rpc.grpc.status_code").asInt()).isEqualTo(10);
    assertThat(awaitCount("obs", "test.Obs", "PartThenAbort", "ABORTED", 1)).isEqualTo(1.0);
  }

  @Test
  void gatewayErrorsCarryTheirGrpcStatus() throws Exception {
    // no target reachable: the gateway's own UNAVAILABLE; the log keeps the HTTP status it maps
    String id = newId();
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(tagged(id), DEAD, opts(), utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    JsonNode l = logLine(id);
    assertThat(l.path("rpc.service").asText()).isEqualTo("dead.Service");
    assertThat(l.path("rpc.method").asText()).isEqualTo("Call");
    assertThat(l.path("rpc.grpc.status_code").asInt()).isEqualTo(14);
    assertThat(l.path("http.response.status_code").asInt()).isIn(502, 503);
    assertThat(awaitCount("dead", "dead.Service", "Call", "UNAVAILABLE", 1)).isEqualTo(1.0);
    assertThat(serverSpan(l).attr("rpc.grpc.status_code")).isEqualTo(14L);

    // no route: UNIMPLEMENTED; the log names the method, the metrics do not (an unmatched path)
    String id2 = newId();
    StatusRuntimeException e2 =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(tagged(id2), NO_ROUTE, opts(), utf8("x")));
    assertThat(e2.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    JsonNode l2 = logLine(id2);
    assertThat(l2.path("rpc.service").asText()).isEqualTo("nowhere.Service");
    assertThat(l2.path("rpc.grpc.status_code").asInt()).isEqualTo(12);
    assertThat(l2.path("http.response.status_code").asInt()).isEqualTo(404);
    assertThat(awaitCount("unmatched", "_OTHER", "_OTHER", "UNIMPLEMENTED", 1)).isGreaterThan(0);
    assertThat(scrape()).doesNotContain("nowhere.Service");
  }

  @Test
  void aClientThatCancelsIsCancelled() throws Exception {
    String id = newId();
    int started = hangsStarted.get();
    ClientCall<byte[], byte[]> call = tagged(id).newCall(HANG, opts());
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.sendMessage(utf8("wait"));
    call.halfClose();
    call.request(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> hangsStarted.get() > started);
    call.cancel("enough", null);
    assertThat(closed.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    JsonNode l = logLine(id);
    assertThat(l.path("http.response.status_code").asInt()).isEqualTo(499);
    assertThat(l.path("rpc.method").asText()).isEqualTo("Hang");
    assertThat(l.path("rpc.grpc.status_code").asInt()).isEqualTo(1);
    assertThat(awaitCount("obs", "test.Obs", "Hang", "CANCELLED", 1)).isEqualTo(1.0);
  }

  @Test
  void distinctMethodsPerRouteAreCapped() throws Exception {
    // 64 distinct service/method pairs per route (GrpcMeters.MAX_METHODS_PER_ROUTE), then _OTHER
    int cap = 64;
    int calls = cap + 6;
    for (int i = 0; i < calls; i++) {
      MethodDescriptor<byte[], byte[]> m = method("test.Many", "M" + i, MethodType.UNARY);
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> ClientCalls.blockingUnaryCall(channel, m, opts(), utf8("x")));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    }
    awaitCount("many", "_OTHER", "_OTHER", "UNIMPLEMENTED", calls - cap);
    String s = scrape();
    Matcher named =
        Pattern.compile(
                "^bulwark_grpc_requests_total\\{[^}]*method=\"M\\d+\",route=\"many\",[^}]*\\} 1\\.0$",
                Pattern.MULTILINE)
            .matcher(s);
    List<String> series = new ArrayList<>();
    while (named.find()) series.add(named.group());
    assertThat(series).hasSize(cap);
    assertThat(grpcCount(s, "many", "_OTHER", "_OTHER", "UNIMPLEMENTED")).isEqualTo(calls - cap);
  }

  /**
   * A client that reads one 256 KiB message at a time from a server stream of 400 (100 MiB): the
   * server, sending only while grpc-java says its call is ready, stalls with a bounded number of
   * messages ahead of the client's reads, every time. Without back-pressure through the gateway
   * (its upstream stream read on while the client's stream is full), the server would run ahead to
   * all 400, finish, and the heap would hold what the client has not read.
   */
  @Test
  void aSlowReaderHoldsTheServerBack() throws Exception {
    int total = 400;
    // what may sit in the windows on the way: the client's stream window (1 MiB), the gateway's
    // upstream stream window (1 MiB), its write queue toward the client, the server's own
    // buffer: a few MiB; 8 MiB is 32 messages, far below the 400 sent without back-pressure
    int bound = (8 << 20) / PUSH_MESSAGE;
    pushed.set(0);
    pushStalled.set(false);
    AtomicInteger received = new AtomicInteger();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = channel.newCall(PUSH, opts());
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            received.incrementAndGet();
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.sendMessage(utf8(Integer.toString(total)));
    call.halfClose();
    int maxAhead = 0;
    for (int read = 1; read <= 20; read++) {
      call.request(1);
      int want = read;
      // the client has read `read` messages and the server is held back by flow control
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> received.get() == want && pushStalled.get());
      int ahead = pushed.get() - received.get();
      maxAhead = Math.max(maxAhead, ahead);
      assertThat(ahead)
          .as("messages the server sent ahead of the client's reads")
          .isLessThan(bound);
    }
    assertThat(pushed.get()).isLessThan(total);
    assertThat(maxAhead).isGreaterThan(0);
    // then the client reads everything: the stream completes
    call.request(Integer.MAX_VALUE);
    assertThat(closed.get(120, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
    assertThat(received.get()).isEqualTo(total);
  }
}
