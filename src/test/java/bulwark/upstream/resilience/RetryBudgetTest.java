package bulwark.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
  private final MutableClock clock = new MutableClock();

  @Test
  void retriesAreCappedAtTheRatioOfRequestsPlusTheMinimum() {
    RetryBudget b = new RetryBudget(0.2, 1, 10, clock::nanos);
    for (int i = 0; i < 100; i++) b.onRequest();
    assertThat(b.allowed()).isEqualTo(10 + 20);
    int granted = 0;
    for (int i = 0; i < 100; i++) if (b.tryRetry()) granted++;
    assertThat(granted).isEqualTo(30);
    assertThat(b.retriesInWindow()).isEqualTo(30);
  }

  @Test
  void withNoMinimumAndNoTrafficNothingIsRetried() {
    RetryBudget b = new RetryBudget(0.2, 0, 10, clock::nanos);
    assertThat(b.tryRetry()).isFalse();
    for (int i = 0; i < 4; i++) b.onRequest();
    assertThat(b.tryRetry()).as("20% of 4 is 0.8, rounded down").isFalse();
    b.onRequest();
    assertThat(b.tryRetry()).isTrue();
    assertThat(b.tryRetry()).isFalse();
  }

  @Test
  void theWindowSlidesSoOldRequestsAndRetriesAreForgotten() {
    RetryBudget b = new RetryBudget(0.5, 0, 10, clock::nanos);
    for (int i = 0; i < 10; i++) b.onRequest();
    for (int i = 0; i < 5; i++) assertThat(b.tryRetry()).isTrue();
    assertThat(b.tryRetry()).isFalse();
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 2; i++) b.onRequest();
    assertThat(b.tryRetry()).as("12 requests allow 6").isTrue();
    assertThat(b.tryRetry()).isFalse();
    clock.advance(Duration.ofSeconds(6)); // the first second's 10 requests and 5 retries have left
    assertThat(b.allowed()).isEqualTo(1);
    assertThat(b.retriesInWindow()).isEqualTo(1);
    assertThat(b.tryRetry()).isFalse();
    clock.advance(Duration.ofSeconds(10));
    assertThat(b.allowed()).isZero();
    assertThat(b.retriesInWindow()).isZero();
  }
}
