package bulwark.filter.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.FailureMode;
import bulwark.config.Rate;
import bulwark.config.RateLimitConfig;
import bulwark.config.RateLimitKeySpec;
import bulwark.config.RateLimitScope;
import io.vertx.core.MultiMap;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {
  private static RateLimitPolicy policy(String name, String rate, int burst) {
    return RateLimitPolicy.of(
        name,
        new RateLimitConfig(
            RateLimitKeySpec.CLIENT_IP,
            Rate.parse(rate),
            burst,
            RateLimitScope.LOCAL,
            FailureMode.OPEN,
            10));
  }

  @Test
  void structuredFieldForms() {
    assertThat(RateLimitHeaders.policy("per-ip", 20, 1)).isEqualTo("\"per-ip\";q=20;w=1");
    assertThat(RateLimitHeaders.state("per-ip", 0, 1)).isEqualTo("\"per-ip\";r=0;t=1");
  }

  @Test
  void namesAreQuotedAndEscapedAsSfStrings() {
    assertThat(RateLimitHeaders.sfString("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
    assertThat(RateLimitHeaders.sfString("é\n")).isEqualTo("\"??\"");
  }

  @Test
  void secondsAreWholeAndRoundedUp() {
    assertThat(RateLimitHeaders.seconds(0)).isZero();
    assertThat(RateLimitHeaders.seconds(1)).isEqualTo(1);
    assertThat(RateLimitHeaders.seconds(1_000_000_000L)).isEqualTo(1);
    assertThat(RateLimitHeaders.seconds(1_000_000_001L)).isEqualTo(2);
    assertThat(RateLimitHeaders.retryAfter(0)).isEqualTo(1);
    assertThat(RateLimitHeaders.retryAfter(Duration.ofMillis(20_001).toNanos())).isEqualTo(21);
  }

  @Test
  void thePolicyIsAFullBucketAndTheTimeToFillIt() {
    assertThat(policy("per-ip", "20/s", 0).header()).isEqualTo("\"per-ip\";q=20;w=1");
    // 20 tokens at 10/s: 2 s to fill
    assertThat(policy("p", "10/s", 20).header()).isEqualTo("\"p\";q=20;w=2");
    // 10 tokens at 3/s: 3.33 s, rounded up
    assertThat(policy("p", "3/s", 10).header()).isEqualTo("\"p\";q=10;w=4");
    assertThat(policy("p", "600/min", 0).header()).isEqualTo("\"p\";q=600;w=60");
    assertThat(policy("p", "10/s", 20).timeToFull()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void applySetsBothFields() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    RateLimitHeaders.apply(
        h,
        new RateLimitHeaders.Verdict(
            policy("per-ip", "20/s", 0), 7, Duration.ofMillis(650).toNanos()));
    assertThat(h.get("RateLimit-Policy")).isEqualTo("\"per-ip\";q=20;w=1");
    assertThat(h.get("RateLimit")).isEqualTo("\"per-ip\";r=7;t=1");
  }
}
