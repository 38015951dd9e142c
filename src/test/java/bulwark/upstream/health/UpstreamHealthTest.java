package bulwark.upstream.health;

import static bulwark.upstream.health.HealthTesting.active;
import static bulwark.upstream.health.HealthTesting.config;
import static bulwark.upstream.health.HealthTesting.fail;
import static bulwark.upstream.health.HealthTesting.pass;
import static bulwark.upstream.health.HealthTesting.passWithCpu;
import static bulwark.upstream.health.HealthTesting.passive;
import static bulwark.upstream.health.HealthTesting.resourcesOnly;
import static bulwark.upstream.health.HealthTesting.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ScoreConfig;
import bulwark.config.ScoreWeights;
import bulwark.upstream.health.HealthTesting.FakeTicker;
import bulwark.upstream.target.HealthStatus;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamHealthTest {
  private final FakeTicker ticker = new FakeTicker();

  private static HealthStatus status(Target t) {
    return t.state().health().status();
  }

  private static void failRequests(UpstreamHealth h, Target t, int n) {
    for (int i = 0; i < n; i++) {
      h.onOutcome(t, i % 2 == 0 ? Outcome.HTTP_5XX : Outcome.CONNECT_FAILURE);
    }
  }

  // --- active checks: the state machine

  @Test
  void anUnknownTargetGetsTrafficAndGoesUpAfterHealthyThresholdPasses() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(active(2, 3), null, null, false), List.of(t), ticker);

    assertThat(status(t)).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(t.available()).isTrue();
    h.onCheck(t, pass());
    assertThat(status(t)).isEqualTo(HealthStatus.UNKNOWN);
    h.onCheck(t, pass());
    assertThat(status(t)).isEqualTo(HealthStatus.UP);
    assertThat(t.available()).isTrue();
  }

  @Test
  void anUnknownTargetGoesDownAfterUnhealthyThresholdFailures() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(active(2, 2), null, null, false), List.of(t), ticker);

    h.onCheck(t, fail());
    assertThat(status(t)).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(t.available()).isTrue();
    h.onCheck(t, CheckResult.unreachable("connection refused"));
    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
    assertThat(t.available()).isFalse();
    assertThat(t.state().health().lastCheck()).isEqualTo("connection refused");
  }

  @Test
  void oneBlipDoesNotFlapAndThresholdsCountOnlyRunsInARow() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(active(2, 3), null, null, false), List.of(t), ticker);
    h.onCheck(t, pass());
    h.onCheck(t, pass());
    assertThat(status(t)).isEqualTo(HealthStatus.UP);

    // failures that never reach 3 in a row keep it UP
    for (int i = 0; i < 5; i++) {
      h.onCheck(t, fail());
      h.onCheck(t, fail());
      h.onCheck(t, pass());
      assertThat(status(t)).isEqualTo(HealthStatus.UP);
      assertThat(t.available()).isTrue();
    }
    h.onCheck(t, fail());
    h.onCheck(t, fail());
    h.onCheck(t, fail());
    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
    assertThat(t.available()).isFalse();

    // one pass between failures does not bring it back
    h.onCheck(t, pass());
    h.onCheck(t, fail());
    h.onCheck(t, pass());
    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
    assertThat(t.available()).isFalse();
    h.onCheck(t, pass());
    assertThat(status(t)).isEqualTo(HealthStatus.UP);
    assertThat(t.available()).isTrue();
  }

  // --- score and drain

  @Test
  void theScoreFollowsTheLastCheckAndDrainsUnderTheFloorWithHysteresis() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(active(1, 1), null, resourcesOnly(20), false), List.of(t), ticker);

    h.onCheck(t, passWithCpu(0.5));
    assertThat(t.state().score()).isEqualTo(50);
    assertThat(t.available()).isTrue();

    h.onCheck(t, passWithCpu(0.85)); // 15 < 20
    assertThat(t.state().score()).isEqualTo(15);
    assertThat(t.state().health().drained()).isTrue();
    assertThat(t.available()).isFalse();
    assertThat(status(t)).isEqualTo(HealthStatus.UP); // drained is not DOWN

    h.onCheck(t, passWithCpu(0.78)); // 22: over the floor but under floor + 5
    assertThat(t.state().score()).isEqualTo(22);
    assertThat(t.available()).isFalse();

    h.onCheck(t, passWithCpu(0.75)); // 25 = floor + hysteresis
    assertThat(t.state().health().drained()).isFalse();
    assertThat(t.available()).isTrue();

    h.onCheck(t, passWithCpu(0.81)); // 19: under the floor again
    assertThat(t.available()).isFalse();
  }

  @Test
  void oneLostCheckNeitherDrainsNorTakesDown() {
    Target t = targets(1).get(0);
    ScoreConfig reachability = new ScoreConfig(new ScoreWeights(30, 40, 0, 0), 20);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(active(1, 3), null, reachability, false), List.of(t), ticker);
    h.onCheck(t, pass());

    h.onCheck(t, CheckResult.unreachable("no answer within 1000ms"));

    assertThat(t.state().score()).isZero();
    assertThat(t.state().health().drained()).isFalse();
    assertThat(status(t)).isEqualTo(HealthStatus.UP);
    assertThat(t.available()).isTrue();
  }

  @Test
  void aLostCheckKeepsTheLastAnswersResourceAndDependencySignals() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u",
            config(active(1, 3), null, new ScoreConfig(HealthScore.DEFAULT_WEIGHTS, 0), false),
            List.of(t),
            ticker);

    h.onCheck(t, passWithCpu(0.5));
    assertThat(t.state().score()).isEqualTo(90); // 30 + 40 + 20 × 0.5 + 10
    h.onCheck(t, CheckResult.unreachable("connection reset"));
    assertThat(t.state().score()).isEqualTo(20); // 0 + 0 + 20 × 0.5 + 10: not 30, as if idle
    h.onCheck(t, pass());
    assertThat(t.state().score()).isEqualTo(100); // an answer without signals counts them as full
  }

  @Test
  void aFloorOfZeroNeverDrains() {
    Target t = targets(1).get(0);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(active(1, 1), null, resourcesOnly(0), false), List.of(t), ticker);

    h.onCheck(t, passWithCpu(1.0));

    assertThat(t.state().score()).isZero();
    assertThat(t.available()).isTrue();
  }

  // --- passive checks: ejection

  @Test
  void consecutiveFailuresEjectAndASuccessInBetweenResetsTheCount() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(null, passive(3, Duration.ofSeconds(10), 50), null, false), ts, ticker);

    failRequests(h, t, 2);
    h.onOutcome(t, Outcome.SUCCESS);
    failRequests(h, t, 2);
    assertThat(t.available()).isTrue();

    h.onOutcome(t, Outcome.TIMEOUT);
    assertThat(t.state().health().ejected()).isTrue();
    assertThat(t.available()).isFalse();
    assertThat(ts.get(1).available()).isTrue();
  }

  @Test
  void eachEjectionInARowLastsLongerUpToTenTimes() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    Duration base = Duration.ofSeconds(10);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(null, passive(3, base, 50), null, false), ts, ticker);

    for (int k = 1; k <= 13; k++) {
      failRequests(h, t, 3);
      Duration expected = base.multipliedBy(Math.min(k, 10));
      assertThat(t.state().health().ejected()).as("ejection %d", k).isTrue();
      assertThat(t.state().health().ejections()).isEqualTo(k);
      assertThat(h.ejectedForMillis(t)).as("ejection %d", k).isEqualTo(expected.toMillis());

      ticker.advance(expected.minusNanos(1));
      h.refresh();
      assertThat(t.available()).as("ejection %d, 1ns before its end", k).isFalse();
      ticker.advance(Duration.ofNanos(1));
      h.refresh();
      assertThat(t.available()).as("ejection %d, at its end", k).isTrue();
    }
  }

  @Test
  void theEjectionCountIsForgivenAfterServingWellForEjectFor() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    Duration base = Duration.ofSeconds(10);
    UpstreamHealth h =
        UpstreamHealth.of("u", config(null, passive(3, base, 50), null, false), ts, ticker);
    failRequests(h, t, 3);
    ticker.advance(base);
    h.refresh();

    h.onOutcome(t, Outcome.SUCCESS); // right after the return: not yet
    assertThat(t.state().health().ejections()).isEqualTo(1);
    ticker.advance(base.minusMillis(1));
    h.onOutcome(t, Outcome.SUCCESS);
    assertThat(t.state().health().ejections()).isEqualTo(1);
    ticker.advance(Duration.ofMillis(1));
    h.onOutcome(t, Outcome.SUCCESS);
    assertThat(t.state().health().ejections()).isZero();

    failRequests(h, t, 3);
    assertThat(h.ejectedForMillis(t)).isEqualTo(base.toMillis()); // 1×, not 2×
  }

  @Test
  void maxEjectedPercentCapsHowManyAreEjectedAtOnce() {
    List<Target> ts = targets(4);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(null, passive(2, Duration.ofSeconds(10), 50), null, false), ts, ticker);

    failRequests(h, ts.get(0), 2);
    ticker.advance(Duration.ofSeconds(5));
    failRequests(h, ts.get(1), 2);
    failRequests(h, ts.get(2), 5);

    assertThat(ts.get(0).available()).isFalse();
    assertThat(ts.get(1).available()).isFalse();
    assertThat(ts.get(2).available()).as("a third ejection would exceed 50%% of 4").isTrue();
    assertThat(ts.get(2).state().health().ejected()).isFalse();

    // once the first returns, the next failure of the third ejects it
    ticker.advance(Duration.ofSeconds(5));
    h.onOutcome(ts.get(2), Outcome.RESET);
    assertThat(ts.get(0).available()).isTrue();
    assertThat(ts.get(2).state().health().ejected()).isTrue();
  }

  @Test
  void atLeastOneTargetMayBeEjectedWhenThePercentIsAboveZero() {
    assertThat(OutlierEjection.maxEjected(1, 50)).isEqualTo(1);
    assertThat(OutlierEjection.maxEjected(3, 50)).isEqualTo(1);
    assertThat(OutlierEjection.maxEjected(4, 50)).isEqualTo(2);
    assertThat(OutlierEjection.maxEjected(3, 100)).isEqualTo(3);
    assertThat(OutlierEjection.maxEjected(10, 0)).isZero();

    List<Target> one = targets(1);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(null, passive(1, Duration.ofSeconds(1), 0), null, false), one, ticker);
    failRequests(h, one.get(0), 5);
    assertThat(one.get(0).available()).as("0%% ejects nothing").isTrue();
  }

  @Test
  void aPassingActiveCheckEndsAnEjectionEarly() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u",
            config(active(2, 3), passive(3, Duration.ofMinutes(5), 50), null, false),
            ts,
            ticker);
    failRequests(h, t, 3);
    assertThat(t.available()).isFalse();

    h.onCheck(t, fail());
    assertThat(t.available()).isFalse();
    h.onCheck(t, pass());
    assertThat(t.state().health().ejected()).isFalse();
    assertThat(t.available()).isTrue();
    assertThat(t.state().health().ejections())
        .as("the count still grows the next ejection")
        .isEqualTo(1);
  }

  @Test
  void startingWithoutChecksForgetsWhatTheyLearned() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    UpstreamHealth before =
        UpstreamHealth.of(
            "u",
            config(active(1, 1), passive(1, Duration.ofMinutes(5), 50), resourcesOnly(20), false),
            ts,
            ticker);
    before.onCheck(ts.get(1), passWithCpu(0.99));
    before.onCheck(t, fail());
    before.onOutcome(t, Outcome.HTTP_5XX);
    assertThat(t.available()).isFalse();
    assertThat(ts.get(1).available()).isFalse();

    // a reload keeps the states (same addresses) but drops the health check
    before.stop();
    UpstreamHealth.of("u", null, ts, ticker).start(null);

    for (Target x : ts) {
      assertThat(x.available()).isTrue();
      assertThat(status(x)).isEqualTo(HealthStatus.UNKNOWN);
      assertThat(x.state().score()).isEqualTo(100);
      assertThat(x.state().health().ejections()).isZero();
    }
  }

  @Test
  void startingWithTheSameChecksKeepsWhatTheyLearned() {
    List<Target> ts = targets(2);
    Target t = ts.get(0);
    var cfg = config(active(1, 1), passive(1, Duration.ofMinutes(5), 50), null, false);
    UpstreamHealth before = UpstreamHealth.of("u", cfg, ts, ticker);
    before.onCheck(t, fail());
    before.onOutcome(ts.get(1), Outcome.HTTP_5XX);

    before.stop();
    UpstreamHealth.of("u", cfg, ts, ticker).start(null);

    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
    assertThat(ts.get(1).state().health().ejected()).isTrue();
  }

  @Test
  void onceStartedEjectionsEndByTimerAndAScheduledPassingCheckEndsOneEarly() {
    List<Target> ts = targets(2);
    Target t = ts.get(0), other = ts.get(1);
    HealthTesting.FakeTimers timers = new HealthTesting.FakeTimers(ticker);
    HealthTesting.ScriptedCheck check =
        new HealthTesting.ScriptedCheck().answer(t, fail()).answer(other, fail());
    UpstreamHealth h =
        UpstreamHealth.of(
            "u",
            config(
                active(1, 5, Duration.ofSeconds(5), 0),
                passive(3, Duration.ofSeconds(10), 100),
                null,
                false),
            ts,
            ticker);
    h.start(timers, check);

    failRequests(h, t, 3);
    timers.advance(
        Duration.ofSeconds(10).plusMillis(1)); // failing checks: only the timer returns it
    assertThat(t.state().health().ejected()).isFalse();

    failRequests(h, other, 3);
    assertThat(other.available()).isFalse();
    check.answer(other, pass());
    timers.advance(Duration.ofSeconds(5)); // the next round passes: back long before its 10 s
    assertThat(other.state().health().ejected()).isFalse();
    assertThat(other.available()).isTrue();
  }
}
