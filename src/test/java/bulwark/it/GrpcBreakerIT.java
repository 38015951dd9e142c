package bulwark.it;

import static bulwark.it.GrpcProxyIT.failure;
import static bulwark.it.GrpcProxyIT.method;
import static bulwark.it.GrpcProxyIT.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC statuses that say the target failed (UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS) reach the
 * circuit breaker as failures, though each response is HTTP 200: in a trailers-only response and in
 * trailers after messages. A status the client causes (NOT_FOUND) does not. One grpc-java server
 * behind three upstreams, each with a breaker that opens after 4 failures in 4 calls.
 */
class GrpcBreakerIT {
  static final String SERVICE = "test.Breaker";

  /** Fails every call with UNAVAILABLE, trailers-only. */
  static final MethodDescriptor<byte[], byte[]> DOWN = method(SERVICE, "Down", MethodType.UNARY);

  /** Sends a message, then fails with INTERNAL in the trailers. */
  static final MethodDescriptor<byte[], byte[]> LATE =
      method(SERVICE, "Late", MethodType.SERVER_STREAMING);

  /** Fails every call with NOT_FOUND, trailers-only: the client's doing, not the target's. */
  static final MethodDescriptor<byte[], byte[]> MISSING =
      method(SERVICE, "Missing", MethodType.UNARY);

  /** Calls each method received. */
  static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  static Server server;
  static ManagedChannel channel;
  static RunningGateway gw;

  static AtomicInteger counter(MethodDescriptor<?, ?> m) {
    return calls.computeIfAbsent(m.getFullMethodName(), k -> new AtomicInteger());
  }

  static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(
            DOWN,
            ServerCalls.asyncUnaryCall(
                (req, obs) -> {
                  counter(DOWN).incrementAndGet();
                  obs.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
                }))
        .addMethod(
            LATE,
            ServerCalls.asyncServerStreamingCall(
                (req, obs) -> {
                  counter(LATE).incrementAndGet();
                  obs.onNext(utf8("a part"));
                  obs.onError(Status.INTERNAL.withDescription("broke").asRuntimeException());
                }))
        .addMethod(
            MISSING,
            ServerCalls.asyncUnaryCall(
                (req, obs) -> {
                  counter(MISSING).incrementAndGet();
                  obs.onError(Status.NOT_FOUND.withDescription("no such").asRuntimeException());
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
    String up =
        "{ protocol: h2c, targets: [ { url: \"http://127.0.0.1:%d\" } ], circuitBreaker: { window: 4, minimumCalls: 4, failureRateThreshold: 50%%, openFor: 10m } }"
            .formatted(server.getPort());
    gw =
        RunningGateway.start(
            TestSupport.h2cHead()
                + """
        upstreams:
          down: %s
          late: %s
          missing: %s
        routes:
          - { name: down, match: { path: /test.Breaker/Down }, upstream: down }
          - { name: late, match: { path: /test.Breaker/Late }, upstream: late }
          - { name: missing, match: { path: /test.Breaker/Missing }, upstream: missing }
        """
                    .formatted(up, up, up));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gw.port).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (gw != null) gw.close();
    if (server != null) server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  static CallOptions opts() {
    return CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static Status unary(MethodDescriptor<byte[], byte[]> m) {
    return failure(m, () -> ClientCalls.blockingUnaryCall(channel, m, opts(), utf8("x")));
  }

  static Status streaming(MethodDescriptor<byte[], byte[]> m) {
    return failure(
        m,
        () ->
            ClientCalls.blockingServerStreamingCall(channel, m, opts(), utf8("x"))
                .forEachRemaining(b -> {}));
  }

  @Test
  void unavailableInATrailersOnlyResponseOpensTheBreaker() {
    for (int i = 0; i < 4; i++) {
      Status s = unary(DOWN);
      assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(s.getDescription()).isEqualTo("down");
    }
    assertThat(counter(DOWN).get()).isEqualTo(4);
    // four failures in four calls: the breaker is open, and the fifth call never reaches the target
    Status open = unary(DOWN);
    assertThat(open.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(open.getDescription()).contains("circuit breaker");
    assertThat(counter(DOWN).get()).isEqualTo(4);
  }

  @Test
  void aFailureInTheTrailersAfterMessagesOpensTheBreaker() {
    for (int i = 0; i < 4; i++) {
      Status s = streaming(LATE);
      assertThat(s.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(s.getDescription()).isEqualTo("broke");
    }
    Status open = streaming(LATE);
    assertThat(open.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(open.getDescription()).contains("circuit breaker");
    assertThat(counter(LATE).get()).isEqualTo(4);
  }

  @Test
  void aStatusTheClientCausedDoesNotOpenTheBreaker() {
    for (int i = 0; i < 8; i++) {
      Status s = unary(MISSING);
      assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(s.getDescription()).isEqualTo("no such");
    }
    assertThat(counter(MISSING).get()).isEqualTo(8);
  }
}
