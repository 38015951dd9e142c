package bulwark.it;

import static bulwark.it.GrpcProxyIT.method;
import static bulwark.it.GrpcProxyIT.text;
import static bulwark.it.GrpcProxyIT.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import bulwark.it.TestSupport.RunningGateway;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retries on gRPC status codes: two grpc-java servers (h2c) behind one upstream whose retry policy
 * retries UNAVAILABLE, sharing a call count per method; each method fails its first call with a
 * status (a trailers-only response) and answers later ones. A retry goes to the other server (a
 * retry goes to a target not tried yet).
 */
class GrpcRetryIT {
  static final String SERVICE = "test.Retry";

  /** Safe (the route lists /test.Retry/Get*): fails its first call with UNAVAILABLE. */
  static final MethodDescriptor<byte[], byte[]> GET_FLAKY =
      method(SERVICE, "GetFlaky", MethodType.UNARY);

  /** Not safe: fails its first call with UNAVAILABLE. */
  static final MethodDescriptor<byte[], byte[]> CREATE =
      method(SERVICE, "Create", MethodType.UNARY);

  /** Safe, but fails its first call with ABORTED, a status retry.on does not list. */
  static final MethodDescriptor<byte[], byte[]> GET_ABORTED =
      method(SERVICE, "GetAborted", MethodType.UNARY);

  /** Safe: fails its first call with UNAVAILABLE after its response headers and one message. */
  static final MethodDescriptor<byte[], byte[]> GET_LATE =
      method(SERVICE, "GetLate", MethodType.SERVER_STREAMING);

  /** Safe, fails its first call with UNAVAILABLE; called with a body over maxBufferedBody. */
  static final MethodDescriptor<byte[], byte[]> GET_BIG =
      method(SERVICE, "GetBig", MethodType.UNARY);

  /** Calls each method received, over both servers. */
  static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  static Server a;
  static Server b;
  static ManagedChannel channel;
  static RunningGateway gw;

  static int calls(MethodDescriptor<?, ?> m) {
    return calls.computeIfAbsent(m.getFullMethodName(), k -> new AtomicInteger()).get();
  }

  /** A unary method that fails its first call (over both servers) with {@code first}. */
  static ServerCalls.UnaryMethod<byte[], byte[]> failsFirst(
      MethodDescriptor<?, ?> m, Status first) {
    return (req, obs) -> {
      int n =
          calls.computeIfAbsent(m.getFullMethodName(), k -> new AtomicInteger()).incrementAndGet();
      if (n == 1) {
        obs.onError(first.withDescription("first call").asRuntimeException());
        return;
      }
      obs.onNext(utf8("ok " + n + ": " + req.length));
      obs.onCompleted();
    };
  }

  static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(GET_FLAKY, ServerCalls.asyncUnaryCall(failsFirst(GET_FLAKY, Status.UNAVAILABLE)))
        .addMethod(CREATE, ServerCalls.asyncUnaryCall(failsFirst(CREATE, Status.UNAVAILABLE)))
        .addMethod(GET_ABORTED, ServerCalls.asyncUnaryCall(failsFirst(GET_ABORTED, Status.ABORTED)))
        .addMethod(GET_BIG, ServerCalls.asyncUnaryCall(failsFirst(GET_BIG, Status.UNAVAILABLE)))
        .addMethod(
            GET_LATE,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  int n =
                      calls
                          .computeIfAbsent(GET_LATE.getFullMethodName(), k -> new AtomicInteger())
                          .incrementAndGet();
                  obs.onNext(utf8("part of " + n));
                  if (n == 1) obs.onError(Status.UNAVAILABLE.asRuntimeException());
                  else obs.onCompleted();
                }))
        .build();
  }

  static Server server() throws Exception {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service())
        .build()
        .start();
  }

  @BeforeAll
  static void start() throws Exception {
    a = server();
    b = server();
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
        upstreams:
          grpc:
            protocol: h2c
            balancer: round_robin
            targets: [ { url: "http://127.0.0.1:%d" }, { url: "http://127.0.0.1:%d" } ]
            retry: { attempts: 2, on: [unavailable, reset], backoff: 1ms, maxBufferedBody: 1KiB }
        routes:
          - name: retry
            match: { path: /test.Retry/** }
            upstream: grpc
            grpc: { safeMethods: ["/test.Retry/Get*"] }
        """
                .formatted(a.getPort(), b.getPort()));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    if (a != null) a.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (b != null) b.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  static CallOptions opts() {
    return CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** bulwark_retries_total of the upstream grpc (0 before the first retry is counted). */
  static double retriesCounted() throws Exception {
    String scrape = TestSupport.get(gw.adminUrl("/metrics")).body();
    Matcher m =
        Pattern.compile("(?m)^bulwark_retries_total\\{upstream=\"grpc\"[^}]*} (\\S+)$")
            .matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void unavailableFromASafeMethodIsRetriedAndCounted() throws Exception {
    double before = retriesCounted();
    byte[] r = ClientCalls.blockingUnaryCall(channel, GET_FLAKY, opts(), utf8("hello"));
    // the client never saw the first UNAVAILABLE: the second call answered
    assertThat(text(r)).isEqualTo("ok 2: 5");
    assertThat(calls(GET_FLAKY)).isEqualTo(2);
    assertThat(retriesCounted()).isEqualTo(before + 1);
  }

  @Test
  void anUnsafeMethodIsNotRetried() {
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(channel, CREATE, opts(), utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("first call");
    assertThat(calls(CREATE)).isEqualTo(1);
  }

  @Test
  void aStatusNotInRetryOnIsNotRetried() {
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(channel, GET_ABORTED, opts(), utf8("x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(calls(GET_ABORTED)).isEqualTo(1);
  }

  @Test
  void anErrorAfterTheResponseHeadersIsNotRetried() {
    Iterator<byte[]> it =
        ClientCalls.blockingServerStreamingCall(channel, GET_LATE, opts(), utf8("x"));
    // the headers and a message went to the client: the status in the trailers is passed on
    assertThat(text(it.next())).isEqualTo("part of 1");
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, it::hasNext);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(calls(GET_LATE)).isEqualTo(1);
  }

  @Test
  void aBodyOverMaxBufferedBodyIsNotRetried() {
    byte[] big = new byte[4096];
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(channel, GET_BIG, opts(), big));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(calls(GET_BIG)).isEqualTo(1);
    // the same method with a small body is retried (the size is what stopped it)
    assertThat(text(ClientCalls.blockingUnaryCall(channel, GET_BIG, opts(), utf8("y"))))
        .isEqualTo("ok 2: 1");
  }
}
