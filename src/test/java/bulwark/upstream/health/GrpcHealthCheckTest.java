package bulwark.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import java.net.ConnectException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The parts of the gRPC check that need no server: its words for failures, its grpc-timeout. */
class GrpcHealthCheckTest {
  static final Target T =
      new Target("10.0.0.5:50051", "10.0.0.5", 50051, true, 1, new TargetState("10.0.0.5:50051"));

  private static Throwable handshake(String inner) {
    SSLHandshakeException e = new SSLHandshakeException("Failed to create SSL connection");
    e.initCause(new SSLHandshakeException(inner));
    return e;
  }

  @Test
  void aTargetWithoutH2InAlpnIsSaidToBeOneWhateverTheTlsEngine() {
    String expected =
        "target 10.0.0.5:50051 did not offer h2 in TLS ALPN (a gRPC check needs HTTP/2)";
    // OpenSSL's alert, the JDK engine's words, Vert.x's own
    assertThat(
            GrpcHealthCheck.explain(
                T,
                handshake(
                    "error:10000460:SSL routines:OPENSSL_internal:TLSV1_ALERT_NO_APPLICATION_PROTOCOL")))
        .isEqualTo(expected);
    assertThat(
            GrpcHealthCheck.explain(T, handshake("No matching application layer protocol values")))
        .isEqualTo(expected);
    assertThat(
            GrpcHealthCheck.explain(T, new IllegalStateException("Unsupported protocol http/1.1")))
        .isEqualTo(expected);
  }

  @Test
  void aHandshakeFailureNamesItsInnermostCause() {
    assertThat(GrpcHealthCheck.explain(T, handshake("PKIX path building failed")))
        .isEqualTo("Failed to create SSL connection: PKIX path building failed");
    assertThat(GrpcHealthCheck.explain(T, new ConnectException("Connection refused")))
        .isEqualTo("Connection refused");
  }

  @Test
  void anHttp1AnswerToThePrefaceIsSaidToBeOne() {
    assertThat(
            GrpcHealthCheck.explain(
                T,
                new IllegalStateException(
                    "First received frame was not SETTINGS. Hex dump for first 5 bytes: 485454502f")))
        .isEqualTo(
            "target 10.0.0.5:50051 did not answer HTTP/2 by prior knowledge (h2c): it answered HTTP/1.x");
  }

  @Test
  void grpcTimeoutHasAtMostEightDigits() {
    assertThat(GrpcHealthCheck.grpcTimeout(1000)).isEqualTo("1000m");
    assertThat(GrpcHealthCheck.grpcTimeout(99_999_999L)).isEqualTo("99999999m");
    assertThat(GrpcHealthCheck.grpcTimeout(100_000_000L)).isEqualTo("100000S");
  }
}
