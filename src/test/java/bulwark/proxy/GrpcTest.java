package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** grpc-timeout parsing, the HTTP-to-gRPC status mapping, grpc-message's encoding. */
class GrpcTest {
  @Test
  void grpcTimeoutInEveryUnit() {
    assertThat(Grpc.timeoutMillis("1H")).isEqualTo(3_600_000);
    assertThat(Grpc.timeoutMillis("2M")).isEqualTo(120_000);
    assertThat(Grpc.timeoutMillis("3S")).isEqualTo(3000);
    assertThat(Grpc.timeoutMillis("250m")).isEqualTo(250);
    assertThat(Grpc.timeoutMillis("1500000u")).isEqualTo(1500);
    assertThat(Grpc.timeoutMillis("2000000n")).isEqualTo(2);
    // under a millisecond still bounds the call
    assertThat(Grpc.timeoutMillis("10n")).isEqualTo(1);
    assertThat(Grpc.timeoutMillis("99999999S")).isEqualTo(99_999_999_000L);
  }

  @Test
  void malformedGrpcTimeoutsAreIgnored() {
    assertThat(Grpc.timeoutMillis(null)).isZero();
    assertThat(Grpc.timeoutMillis("")).isZero();
    assertThat(Grpc.timeoutMillis("S")).isZero();
    assertThat(Grpc.timeoutMillis("10")).isZero();
    assertThat(Grpc.timeoutMillis("10s")).isZero();
    assertThat(Grpc.timeoutMillis("-1S")).isZero();
    assertThat(Grpc.timeoutMillis("123456789S")).isZero(); // 9 digits: over the limit of 8
  }

  @Test
  void statusMapping() {
    assertThat(Grpc.status(404)).isEqualTo(Grpc.UNIMPLEMENTED);
    assertThat(Grpc.status(503)).isEqualTo(Grpc.UNAVAILABLE);
    assertThat(Grpc.status(502)).isEqualTo(Grpc.UNAVAILABLE);
    assertThat(Grpc.status(504)).isEqualTo(Grpc.DEADLINE_EXCEEDED);
    assertThat(Grpc.status(429)).isEqualTo(Grpc.RESOURCE_EXHAUSTED);
    assertThat(Grpc.status(401)).isEqualTo(Grpc.UNAUTHENTICATED);
    assertThat(Grpc.status(403)).isEqualTo(Grpc.PERMISSION_DENIED);
    assertThat(Grpc.status(500)).isEqualTo(Grpc.INTERNAL);
    assertThat(Grpc.status(418)).isEqualTo(Grpc.UNKNOWN);
  }

  @Test
  void grpcMessageIsPercentEncodedUtf8() {
    assertThat(Grpc.encode("plain text: ok")).isEqualTo("plain text: ok");
    assertThat(Grpc.encode("100% \u00fc\n")).isEqualTo("100%25 %C3%BC%0A");
    assertThat(Grpc.encode(null)).isEmpty();
  }
}
