import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC side of bench/grpc.sh, on grpc-java (the test classpath), with a hand-written byte[]
 * marshaller (no protobuf: the proxies see HTTP/2 frames either way).
 *
 * <pre>
 *   GrpcEcho serve PORT            a server of bench.Echo/Unary: answers each request with its own
 *                                  bytes (h2c, grpc-java's Netty transport, direct executor)
 *   GrpcEcho check PORT N SIZE     N unary calls of SIZE bytes to 127.0.0.1:PORT (h2c): every one
 *                                  must end with status OK and echo its bytes; exit 1 otherwise
 * </pre>
 */
public final class GrpcEcho {
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

  static final MethodDescriptor<byte[], byte[]> UNARY =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Echo/Unary")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "serve" -> serve(Integer.parseInt(args[1]));
      case "check" ->
          System.exit(
              check(
                  Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])));
      default -> throw new IllegalArgumentException("serve PORT | check PORT N SIZE");
    }
  }

  static void serve(int port) throws Exception {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .directExecutor()
            .addService(
                ServerServiceDefinition.builder("bench.Echo")
                    .addMethod(
                        UNARY,
                        ServerCalls.asyncUnaryCall(
                            (req, obs) -> {
                              obs.onNext(req);
                              obs.onCompleted();
                            }))
                    .build())
            .build()
            .start();
    System.out.println("serving bench.Echo on 127.0.0.1:" + s.getPort());
    Runtime.getRuntime().addShutdownHook(new Thread(s::shutdownNow));
    s.awaitTermination();
  }

  static int check(int port, int n, int size) throws Exception {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    int bad = 0;
    try {
      byte[] msg = new byte[size];
      Arrays.fill(msg, (byte) 'x');
      for (int i = 0; i < n; i++) {
        try {
          byte[] r =
              ClientCalls.blockingUnaryCall(
                  ch,
                  UNARY,
                  io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                  msg);
          if (!Arrays.equals(r, msg)) {
            bad++;
            System.out.println("call " + i + ": wrong answer (" + r.length + " bytes)");
          }
        } catch (StatusRuntimeException e) {
          bad++;
          System.out.println("call " + i + ": " + e.getStatus());
        }
      }
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.out.println(
        n + " calls to 127.0.0.1:" + port + ": " + (n - bad) + " OK, " + bad + " not");
    return bad == 0 ? 0 : 1;
  }
}
