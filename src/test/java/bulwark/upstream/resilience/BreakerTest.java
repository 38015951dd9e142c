package bulwark.upstream.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.BreakerScope;
import bulwark.config.CircuitBreakerConfig;
import bulwark.config.Percent;
import bulwark.config.WindowType;
import bulwark.testing.MutableClock;
import bulwark.upstream.target.Outcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BreakerTest {
  private final MutableClock clock = new MutableClock();

  private Breaker breaker(String windowType, int window) {
    return new Breaker(
        "users",
        new CircuitBreakerConfig(
            new Percent(50),
            Duration.ofSeconds(2),
            new Percent(80),
            WindowType.valueOf(windowType.toUpperCase()),
            window,
            10,
            Duration.ofSeconds(10),
            3,
            Duration.ofSeconds(5),
            BreakerScope.UPSTREAM),
        clock);
  }

  private static void calls(Breaker b, int n, Outcome o, long millis) {
    for (int i = 0; i < n; i++) {
      assertThat(b.tryAcquire()).isTrue();
      b.onResult(o, Duration.ofMillis(millis).toNanos());
    }
  }

  @Test
  void opensOnlyOnceTheMinimumNumberOfCallsIsReachedAndThenRefusesAtOnce() {
    Breaker b = breaker("count", 20);
    calls(b, 9, Outcome.HTTP_5XX, 5);
    assertThat(b.state()).as("9 failures are under minimumCalls (10)").isEqualTo("CLOSED");
    calls(b, 1, Outcome.CONNECT_FAILURE, 5);
    assertThat(b.state()).isEqualTo("OPEN");
    assertThat(b.tryAcquire()).isFalse();
    assertThat(b.retryAfterSeconds()).isEqualTo(10);
    clock.advance(Duration.ofMillis(6500));
    assertThat(b.retryAfterSeconds()).isEqualTo(4);
  }

  @Test
  void clientErrorsAreSuccessesSoTheyNeverOpenIt() {
    Breaker b = breaker("count", 20);
    // the proxy maps 4xx to SUCCESS; 5 failures in 20 calls is 25%, under 50%
    calls(b, 15, Outcome.SUCCESS, 5);
    calls(b, 5, Outcome.RESET, 5);
    assertThat(b.state()).isEqualTo("CLOSED");
    assertThat(b.failureRate()).isEqualTo(25f);
  }

  @Test
  void slowCallsOpenItToo() {
    Breaker b = breaker("count", 10);
    calls(b, 2, Outcome.SUCCESS, 5);
    calls(b, 8, Outcome.SUCCESS, 2500); // 80% slower than 2s
    assertThat(b.state()).isEqualTo("OPEN");
  }

  @Test
  void halfOpenAfterOpenForThenClosesWhenTheProbesSucceed() {
    Breaker b = breaker("count", 20);
    calls(b, 10, Outcome.TIMEOUT, 5);
    assertThat(b.state()).isEqualTo("OPEN");
    clock.advance(Duration.ofSeconds(9));
    assertThat(b.tryAcquire()).isFalse();
    clock.advance(Duration.ofMillis(1001)); // Resilience4j waits strictly longer than openFor
    calls(b, 3, Outcome.SUCCESS, 5);
    assertThat(b.state()).isEqualTo("CLOSED");
    assertThat(b.tryAcquire()).isTrue();
  }

  @Test
  void failingProbesOpenItAgain() {
    Breaker b = breaker("count", 20);
    calls(b, 10, Outcome.TIMEOUT, 5);
    clock.advance(Duration.ofMillis(10_001));
    calls(b, 3, Outcome.HTTP_5XX, 5);
    assertThat(b.state()).isEqualTo("OPEN");
  }

  @Test
  void aHungProbeCannotPinItHalfOpen() {
    Breaker b = breaker("count", 20);
    calls(b, 10, Outcome.TIMEOUT, 5);
    clock.advance(Duration.ofMillis(10_001));
    // three probes go out and never come back
    assertThat(b.tryAcquire()).isTrue();
    assertThat(b.state()).isEqualTo("HALF_OPEN");
    assertThat(b.tryAcquire()).isTrue();
    assertThat(b.tryAcquire()).isTrue();
    assertThat(b.tryAcquire()).as("only halfOpenCalls probes").isFalse();
    clock.advance(Duration.ofSeconds(4));
    assertThat(b.tryAcquire()).isFalse();
    assertThat(b.state()).isEqualTo("HALF_OPEN");
    clock.advance(Duration.ofSeconds(1));
    assertThat(b.tryAcquire()).as("past maxHalfOpenWait it opens again").isFalse();
    assertThat(b.state()).isEqualTo("OPEN");
    // and after another openFor it probes afresh
    clock.advance(Duration.ofMillis(10_001));
    assertThat(b.tryAcquire()).isTrue();
    assertThat(b.state()).isEqualTo("HALF_OPEN");
  }

  @Test
  void aReleasedPermissionIsNotACall() {
    Breaker b = breaker("count", 20);
    for (int i = 0; i < 50; i++) {
      assertThat(b.tryAcquire()).isTrue();
      b.release();
    }
    assertThat(b.bufferedCalls()).isZero();
  }

  @Test
  void aTimeWindowForgetsOldFailures() {
    Breaker b = breaker("time", 10);
    calls(b, 9, Outcome.HTTP_5XX, 5);
    clock.advance(Duration.ofSeconds(11));
    calls(b, 9, Outcome.SUCCESS, 5);
    calls(b, 1, Outcome.HTTP_5XX, 5);
    assertThat(b.state()).as("the 9 old failures left the 10 s window").isEqualTo("CLOSED");
  }
}
