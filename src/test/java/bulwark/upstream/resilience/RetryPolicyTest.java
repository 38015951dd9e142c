package bulwark.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ByteSize;
import bulwark.config.Percent;
import bulwark.config.RetryConfig;
import bulwark.config.RetryOn;
import bulwark.upstream.target.Outcome;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private static RetryPolicy policy(List<String> on) {
    return new RetryPolicy(
        new RetryConfig(
            3,
            on.stream().map(RetryOn::parse).toList(),
            Duration.ofMillis(25),
            Duration.ofMillis(100),
            new Percent(20),
            10,
            null,
            new ByteSize(65536)),
        System::nanoTime);
  }

  @Test
  void retriesExactlyTheListedConditionsAndStatuses() {
    RetryPolicy p = policy(List.of("connect_failure", "503"));
    assertThat(p.retries(Outcome.CONNECT_FAILURE, 0)).isTrue();
    assertThat(p.retries(Outcome.RESET, 0)).isFalse();
    assertThat(p.retries(Outcome.TIMEOUT, 0)).isFalse();
    assertThat(p.retries(Outcome.HTTP_5XX, 503)).isTrue();
    assertThat(p.retries(Outcome.HTTP_5XX, 500)).isFalse();
    assertThat(p.retriesStatus(503)).isTrue();
    assertThat(p.retriesStatus(502)).isFalse();
  }

  @Test
  void onlyIdempotentMethodsAreIdempotent() {
    assertThat(
            List.of(
                HttpMethod.GET,
                HttpMethod.HEAD,
                HttpMethod.PUT,
                HttpMethod.DELETE,
                HttpMethod.OPTIONS))
        .allMatch(RetryPolicy::idempotent);
    assertThat(List.of(HttpMethod.POST, HttpMethod.PATCH)).noneMatch(RetryPolicy::idempotent);
  }

  @Test
  void backoffIsFullJitterUnderAGrowingCappedCeiling() {
    RetryPolicy p = policy(List.of("reset"));
    long max1 = 0, max2 = 0, max5 = 0;
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 5000; i++) {
      long b1 = p.backoffMillis(1), b2 = p.backoffMillis(2), b5 = p.backoffMillis(5);
      max1 = Math.max(max1, b1);
      max2 = Math.max(max2, b2);
      max5 = Math.max(max5, b5);
      min = Math.min(min, Math.min(b1, Math.min(b2, b5)));
    }
    assertThat(min).isZero();
    assertThat(max1).isBetween(20L, 25L);
    assertThat(max2).isBetween(40L, 50L);
    assertThat(max5).as("capped at maxBackoff").isBetween(90L, 100L);
  }
}
