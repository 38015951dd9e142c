package bulwark.upstream.health;

import static bulwark.upstream.health.HealthTesting.passive;
import static bulwark.upstream.health.HealthTesting.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.PassiveCheckConfig;
import bulwark.upstream.health.HealthTesting.FakeTicker;
import bulwark.upstream.health.HealthTesting.FakeTimers;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Passive outlier ejection, its cap and the returns, driven by fake timers: nothing calls
 * refresh().
 */
class OutlierEjectionTest {
  private static final Duration EJECT_FOR = Duration.ofSeconds(10);

  private final FakeTicker ticker = new FakeTicker();
  private final FakeTimers timers = new FakeTimers(ticker);

  private OutlierEjection started(PassiveCheckConfig config, List<Target> ts) {
    OutlierEjection e = new OutlierEjection("u", config, ts, ticker);
    e.attach(timers);
    e.resume();
    return e;
  }

  private static void fail(OutlierEjection e, Target t, int n) {
    for (int i = 0; i < n; i++) {
      e.onOutcome(t, Outcome.HTTP_5XX);
    }
  }

  private static boolean ejected(Target t) {
    return t.state().health().ejected();
  }

  @Test
  void onlyFailuresInARowEjectAndOnlyTheFailingTarget() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    OutlierEjection e = started(passive(3, EJECT_FOR, 50), ts);

    fail(e, t, 2);
    e.onOutcome(t, Outcome.SUCCESS);
    fail(e, t, 2);
    e.onOutcome(
        ts.get(1), Outcome.CONNECT_FAILURE); // another target's failure does not count for t
    assertThat(ejected(t)).isFalse();
    assertThat(t.available()).isTrue();

    e.onOutcome(t, Outcome.RESET);

    assertThat(ejected(t)).isTrue();
    assertThat(t.available()).isFalse();
    assertThat(ts.get(1).available()).isTrue();
    assertThat(e.ejectedForMillis(t)).isEqualTo(EJECT_FOR.toMillis());
  }

  @Test
  void aTargetReturnsByItsTimerWhenTheEjectionTimeIsUpAndNotBefore() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    OutlierEjection e = started(passive(3, EJECT_FOR, 50), ts);
    fail(e, t, 3);

    timers.advance(EJECT_FOR.minusMillis(1));
    assertThat(ejected(t)).as("1ms before its end").isTrue();
    assertThat(e.ejectedForMillis(t)).isEqualTo(1);
    timers.advance(Duration.ofMillis(2));
    assertThat(ejected(t)).as("its timer returned it").isFalse();
    assertThat(t.available()).isTrue();
    assertThat(timers.pending()).isZero();

    // the second ejection in a row lasts twice as long
    fail(e, t, 3);
    timers.advance(EJECT_FOR.multipliedBy(2).minusMillis(1));
    assertThat(ejected(t)).isTrue();
    timers.advance(Duration.ofMillis(2));
    assertThat(ejected(t)).isFalse();
  }

  @Test
  void maxEjectedPercentCapsEjectionsUntilAnEjectedTargetReturns() {
    List<Target> ts = targets(4);
    OutlierEjection e = started(passive(2, EJECT_FOR, 25), ts); // 25% of 4: one at a time
    fail(e, ts.get(0), 2);
    timers.advance(Duration.ofSeconds(4));

    fail(e, ts.get(1), 10);
    fail(e, ts.get(2), 10);

    assertThat(ejected(ts.get(0))).isTrue();
    assertThat(ejected(ts.get(1))).as("a second ejection would exceed 25% of 4").isFalse();
    assertThat(ejected(ts.get(2))).isFalse();
    assertThat(ts.get(1).available()).isTrue();

    timers.advance(Duration.ofSeconds(7)); // the first returns at 10 s
    assertThat(ejected(ts.get(0))).isFalse();
    e.onOutcome(ts.get(2), Outcome.TIMEOUT); // still failing in a row: takes the free slot at once
    assertThat(ejected(ts.get(2))).isTrue();
    e.onOutcome(ts.get(1), Outcome.TIMEOUT);
    assertThat(ejected(ts.get(1))).as("the slot is taken again").isFalse();
  }

  @Test
  void theCapCountsInTargetsAndAlwaysAllowsOneAbove0Percent() {
    assertThat(OutlierEjection.maxEjected(4, 25)).isEqualTo(1);
    assertThat(OutlierEjection.maxEjected(4, 74)).isEqualTo(2);
    assertThat(OutlierEjection.maxEjected(4, 75)).isEqualTo(3);
    assertThat(OutlierEjection.maxEjected(2, 10)).isEqualTo(1);
    assertThat(OutlierEjection.maxEjected(5, 0)).isZero();

    List<Target> ts = targets(3);
    OutlierEjection e = started(passive(1, EJECT_FOR, 100), ts);
    ts.forEach(t -> fail(e, t, 1));
    assertThat(ts).as("100% ejects them all").noneMatch(Target::available);
  }

  @Test
  void anEjectionOutlivesAReloadAndTheNewGenerationEndsIt() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    PassiveCheckConfig cfg = passive(3, EJECT_FOR, 50);
    OutlierEjection before = started(cfg, ts);
    fail(before, t, 3);
    before.stop();

    timers.advance(EJECT_FOR.plusSeconds(1));
    assertThat(ejected(t)).as("a stopped generation's timer does nothing").isTrue();

    OutlierEjection after = started(cfg, ts); // same address, same state
    timers.advance(Duration.ofMillis(1));
    assertThat(ejected(t)).isFalse();

    fail(after, t, 3);
    assertThat(after.ejectedForMillis(t))
        .as("the count of ejections in a row was kept")
        .isEqualTo(EJECT_FOR.multipliedBy(2).toMillis());
  }

  @Test
  void aCarriedEjectionReturnsOnItsOriginalTime() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    PassiveCheckConfig cfg = passive(3, EJECT_FOR, 50);
    OutlierEjection before = started(cfg, ts);
    fail(before, t, 3);
    timers.advance(Duration.ofSeconds(4));
    before.stop();

    started(cfg, ts);
    timers.advance(Duration.ofSeconds(6).minusMillis(1));
    assertThat(ejected(t)).isTrue();
    timers.advance(Duration.ofMillis(2));
    assertThat(ejected(t)).as("10 s after the ejection, not 10 s after the reload").isFalse();
  }

  @Test
  void withoutPassiveChecksAReloadForgetsEjectionsAndFailuresEjectNothing() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    fail(started(passive(1, EJECT_FOR, 50), ts), t, 1);
    assertThat(ejected(t)).isTrue();

    OutlierEjection none = new OutlierEjection("u", null, ts, ticker);
    none.carryOver(t.state().health());
    fail(none, ts.get(1), 100);

    assertThat(ejected(t)).isFalse();
    assertThat(t.state().health().ejections()).isZero();
    assertThat(ts).allMatch(Target::available);
  }
}
