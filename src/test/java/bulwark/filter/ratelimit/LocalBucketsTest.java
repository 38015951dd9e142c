package bulwark.filter.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.FailureMode;
import bulwark.config.Rate;
import bulwark.config.RateLimitConfig;
import bulwark.config.RateLimitKeySpec;
import bulwark.config.RateLimitScope;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LocalBucketsTest {
  private final ManualTime time = new ManualTime();

  private static RateLimitConfig config(String rate, int burst, int maxKeys) {
    return new RateLimitConfig(
        RateLimitKeySpec.CLIENT_IP,
        Rate.parse(rate),
        burst,
        RateLimitScope.LOCAL,
        FailureMode.OPEN,
        maxKeys);
  }

  private LocalBuckets buckets(String rate, int burst, int maxKeys) {
    return new LocalBuckets(RateLimitPolicy.of("t", config(rate, burst, maxKeys)), maxKeys, time);
  }

  @Test
  void aFullBucketAllowsTheBurstThenRefillsAtTheRate() {
    LocalBuckets b = buckets("10/s", 20, 100);
    for (int i = 0; i < 20; i++) {
      ConsumptionProbe p = b.tryConsume("k");
      assertThat(p.isConsumed()).as("request %d of the burst", i + 1).isTrue();
      assertThat(p.getRemainingTokens()).isEqualTo(19 - i);
    }
    ConsumptionProbe refused = b.tryConsume("k");
    assertThat(refused.isConsumed()).isFalse();
    // one token comes back every 100 ms
    assertThat(refused.getNanosToWaitForRefill()).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(refused.getNanosToWaitForReset()).isEqualTo(Duration.ofSeconds(2).toNanos());

    time.advance(Duration.ofMillis(99));
    assertThat(b.tryConsume("k").isConsumed()).isFalse();
    time.advance(Duration.ofMillis(1));
    assertThat(b.tryConsume("k").isConsumed()).isTrue();
    assertThat(b.tryConsume("k").isConsumed()).isFalse();

    // a second of quiet gives back exactly the rate, not the burst
    time.advance(Duration.ofSeconds(1));
    int allowed = 0;
    while (b.tryConsume("k").isConsumed()) allowed++;
    assertThat(allowed).isEqualTo(10);
  }

  @Test
  void burstZeroMeansTheRatesCount() {
    LocalBuckets b = buckets("3/min", 0, 100);
    assertThat(b.tryConsume("k").isConsumed()).isTrue();
    assertThat(b.tryConsume("k").isConsumed()).isTrue();
    assertThat(b.tryConsume("k").isConsumed()).isTrue();
    ConsumptionProbe p = b.tryConsume("k");
    assertThat(p.isConsumed()).isFalse();
    assertThat(p.getNanosToWaitForRefill()).isEqualTo(Duration.ofSeconds(20).toNanos());
  }

  @Test
  void keysHaveBucketsOfTheirOwn() {
    LocalBuckets b = buckets("1/min", 0, 100);
    assertThat(b.tryConsume("a").isConsumed()).isTrue();
    assertThat(b.tryConsume("a").isConsumed()).isFalse();
    assertThat(b.tryConsume("b").isConsumed()).isTrue();
  }

  @Test
  void aKeyIdleUntilItsBucketIsFullAgainIsDropped() {
    // 2 tokens, one back every 500 ms: an emptied bucket is full again after 1 s
    LocalBuckets b = buckets("2/s", 0, 100);
    b.tryConsume("idle");
    b.tryConsume("idle");
    b.tryConsume("busy");
    time.advance(Duration.ofMillis(999));
    b.tryConsume("busy");
    assertThat(b.keys()).isEqualTo(2);
    assertThat(b.holds("idle")).isTrue();

    time.advance(Duration.ofMillis(1));
    assertThat(b.keys()).isEqualTo(1);
    assertThat(b.holds("idle")).isFalse();
    assertThat(b.holds("busy")).isTrue();
    // forgetting it changed nothing: it starts full, as it would have been
    assertThat(b.tryConsume("idle").getRemainingTokens()).isEqualTo(1);
  }

  @Test
  void anEmptiedBucketIsNotDroppedBeforeItIsFull() {
    LocalBuckets b = buckets("1/min", 0, 100);
    b.tryConsume("k");
    time.advance(Duration.ofSeconds(59));
    assertThat(b.holds("k")).isTrue();
    // still limited: had the key been dropped early, this would be allowed
    assertThat(b.tryConsume("k").isConsumed()).isFalse();
  }

  @Test
  void theKeyCountIsBoundedByMaxKeys() {
    LocalBuckets b = buckets("10/s", 0, 1000);
    for (int i = 0; i < 200_000; i++) b.tryConsume("10.0." + (i >> 8) + "." + (i & 255));
    assertThat(b.keys()).isLessThanOrEqualTo(1000).isGreaterThan(500);
  }
}
