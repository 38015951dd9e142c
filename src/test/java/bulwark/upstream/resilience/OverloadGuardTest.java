package bulwark.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.AdaptiveAlgorithm;
import bulwark.config.AdaptiveConcurrencyConfig;
import bulwark.config.OverloadConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OverloadGuardTest {
  @Test
  void capsInFlightAndPendingAndGivesBackOnRelease() {
    OverloadGuard g = new OverloadGuard(new OverloadConfig(2, 1, null));
    assertThat(g.tryAcquire()).isNull();
    assertThat(g.tryAcquire()).isNull();
    assertThat(g.tryAcquire()).isEqualTo(OverloadGuard.Refusal.IN_FLIGHT);
    assertThat(g.inFlight()).isEqualTo(2);
    g.release();
    assertThat(g.tryAcquire()).isNull();
    assertThat(g.tryPending()).isTrue();
    assertThat(g.tryPending()).isFalse();
    g.pendingDone();
    assertThat(g.tryPending()).isTrue();
  }

  @Test
  void zeroMeansNoCap() {
    OverloadGuard g = new OverloadGuard(new OverloadConfig(0, 0, null));
    for (int i = 0; i < 100_000; i++) assertThat(g.tryAcquire()).isNull();
    assertThat(g.adaptiveLimit()).isEqualTo(-1);
  }

  @Test
  void aimdGrowsWhileFineAndBacksOffOnTrouble() {
    ConcurrencyLimiter l =
        new ConcurrencyLimiter(
            new AdaptiveConcurrencyConfig(
                AdaptiveAlgorithm.AIMD, 10, 4, 50, Duration.ofMillis(100)));
    for (int i = 0; i < 20; i++) l.onSample(Duration.ofMillis(10).toNanos(), l.limit(), false);
    assertThat(l.limit()).isEqualTo(30);
    l.onSample(Duration.ofMillis(10).toNanos(), 1, false);
    assertThat(l.limit()).as("a lightly used limit does not grow").isEqualTo(30);
    l.onSample(Duration.ofMillis(10).toNanos(), 30, true);
    assertThat(l.limit()).isEqualTo(27);
    l.onSample(Duration.ofMillis(500).toNanos(), 27, false);
    assertThat(l.limit()).as("slower than the threshold is trouble").isEqualTo(24);
    for (int i = 0; i < 100; i++) l.onSample(1, 100, true);
    assertThat(l.limit()).isEqualTo(4);
    for (int i = 0; i < 100; i++) l.onSample(1, 100, false);
    assertThat(l.limit()).isEqualTo(50);
  }

  @Test
  void gradientShrinksTheLimitWhenLatencyRisesAboveTheBaseline() {
    ConcurrencyLimiter l =
        new ConcurrencyLimiter(
            new AdaptiveConcurrencyConfig(
                AdaptiveAlgorithm.GRADIENT, 100, 4, 1000, Duration.ofSeconds(1)));
    for (int i = 0; i < 200; i++) l.onSample(Duration.ofMillis(10).toNanos(), l.limit(), false);
    int steady = l.limit();
    assertThat(steady).as("steady latency lets it grow").isGreaterThan(100);
    for (int i = 0; i < 50; i++) l.onSample(Duration.ofMillis(80).toNanos(), l.limit(), false);
    assertThat(l.limit()).as("latency 8x the baseline").isLessThan(steady / 2);
    OverloadGuard g =
        new OverloadGuard(
            new OverloadConfig(
                0,
                0,
                new AdaptiveConcurrencyConfig(
                    AdaptiveAlgorithm.GRADIENT, 5, 1, 10, Duration.ofSeconds(1))));
    for (int i = 0; i < 5; i++) assertThat(g.tryAcquire()).isNull();
    assertThat(g.tryAcquire()).isEqualTo(OverloadGuard.Refusal.ADAPTIVE);
  }
}
