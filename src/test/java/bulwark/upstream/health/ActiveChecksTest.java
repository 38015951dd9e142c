package bulwark.upstream.health;

import static bulwark.upstream.health.HealthTesting.active;
import static bulwark.upstream.health.HealthTesting.config;
import static bulwark.upstream.health.HealthTesting.fail;
import static bulwark.upstream.health.HealthTesting.pass;
import static bulwark.upstream.health.HealthTesting.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.HealthCheckConfig;
import bulwark.upstream.health.HealthTesting.FakeTicker;
import bulwark.upstream.health.HealthTesting.FakeTimers;
import bulwark.upstream.health.HealthTesting.ScriptedCheck;
import bulwark.upstream.target.HealthStatus;
import bulwark.upstream.target.Target;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The scheduling of active checks and their thresholds, driven by fake timers: no sockets, no
 * sleeps.
 */
class ActiveChecksTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);

  private final FakeTicker ticker = new FakeTicker();
  private final FakeTimers timers = new FakeTimers(ticker);
  private final ScriptedCheck check = new ScriptedCheck();

  private static HealthStatus status(Target t) {
    return t.state().health().status();
  }

  private UpstreamHealth started(HealthCheckConfig config, List<Target> ts) {
    UpstreamHealth h = UpstreamHealth.of("u", config, ts, ticker);
    h.start(timers, check);
    return h;
  }

  @Test
  void eachTargetIsCheckedOncePerIntervalAndGoesDownAtTheUnhealthyThreshold() {
    List<Target> ts = targets(2);
    Target bad = ts.get(0), good = ts.get(1);
    check.answer(bad, fail());
    started(config(active(2, 3, INTERVAL, 0), null, null, false), ts);
    assertThat(check.runs(bad)).as("nothing runs before time moves").isZero();

    timers.advance(Duration.ofMillis(1)); // the first round goes out at once
    assertThat(check.runs(bad)).isEqualTo(1);
    assertThat(check.runs(good)).isEqualTo(1);
    assertThat(status(bad)).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(status(good)).isEqualTo(HealthStatus.UNKNOWN);

    timers.advance(INTERVAL.minusNanos(1));
    assertThat(check.runs(bad)).as("not before the interval").isEqualTo(1);
    timers.advance(Duration.ofNanos(1));
    assertThat(check.runs(bad)).isEqualTo(2);
    assertThat(status(good)).as("2 passes: healthyThreshold").isEqualTo(HealthStatus.UP);
    assertThat(status(bad)).as("2 failures < unhealthyThreshold 3").isEqualTo(HealthStatus.UNKNOWN);
    assertThat(bad.available()).isTrue();

    timers.advance(INTERVAL);
    assertThat(check.runs(bad)).isEqualTo(3);
    assertThat(status(bad)).isEqualTo(HealthStatus.DOWN);
    assertThat(bad.available()).isFalse();
    assertThat(bad.state().health().lastCheck()).isEqualTo("503");
    assertThat(good.available()).isTrue();
  }

  @Test
  void aDownTargetComesBackOnlyAfterHealthyThresholdPassingRounds() {
    List<Target> ts = targets(1);
    Target t = ts.get(0);
    check.answer(t, fail());
    started(config(active(3, 1, INTERVAL, 0), null, null, false), ts);
    timers.advance(Duration.ofMillis(1));
    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);

    check.answer(t, pass());
    timers.advance(INTERVAL);
    timers.advance(INTERVAL);
    assertThat(check.runs(t)).isEqualTo(3);
    assertThat(status(t)).as("2 passes < healthyThreshold 3").isEqualTo(HealthStatus.DOWN);
    assertThat(t.available()).isFalse();

    timers.advance(INTERVAL);
    assertThat(status(t)).isEqualTo(HealthStatus.UP);
    assertThat(t.available()).isTrue();
  }

  @Test
  void aCheckThatFailsToRunCountsAsUnreachable() {
    List<Target> ts = targets(1);
    Target t = ts.get(0);
    check.failWith(t, new ConnectException("Connection refused\nmore detail"));
    started(config(active(1, 2, INTERVAL, 0), null, null, false), ts);

    timers.advance(Duration.ofMillis(1));
    assertThat(status(t)).isEqualTo(HealthStatus.UNKNOWN);
    timers.advance(INTERVAL);

    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
    assertThat(t.state().health().lastCheck()).isEqualTo("Connection refused");
    assertThat(check.runs(t)).as("the checks go on after a failed one").isEqualTo(2);
  }

  @Test
  void theJitterSpreadsEachIntervalOverAtMostItsShare() {
    List<Target> ts = targets(3);
    started(config(active(1, 1, INTERVAL, 10), null, null, false), ts);
    Map<Target, List<Long>> at = new HashMap<>();
    long start = ticker.getAsLong();
    for (int i = 0; i < 3 * 40; i++) {
      assertThat(timers.runNext()).isTrue();
      for (Target t : ts) {
        if (check.runs(t) > at.getOrDefault(t, List.of()).size()) {
          at.computeIfAbsent(t, k -> new ArrayList<>()).add(ticker.getAsLong());
        }
      }
    }

    Set<Long> gaps = new HashSet<>();
    for (Target t : ts) {
      List<Long> times = at.get(t);
      assertThat(times.get(0) - start)
          .as("first round within the jitter")
          .isBetween(1_000_000L, 501_000_000L);
      for (int i = 1; i < times.size(); i++) {
        long gap = times.get(i) - times.get(i - 1);
        assertThat(gap)
            .as("interval + up to 10%")
            .isBetween(INTERVAL.toNanos(), INTERVAL.toNanos() + 500_000_000L);
        gaps.add(gap);
      }
    }
    assertThat(gaps).as("the checks do not align").hasSizeGreaterThan(10);
  }

  @Test
  void stopCancelsTheChecksAndClosesTheirClient() {
    List<Target> ts = targets(2);
    UpstreamHealth h = started(config(active(1, 1, INTERVAL, 0), null, null, false), ts);
    timers.advance(Duration.ofMillis(1));
    assertThat(timers.pending()).as("the next round of each target").isEqualTo(2);

    h.stop();

    assertThat(timers.pending()).isZero();
    assertThat(check.closed()).isTrue();
    timers.advance(Duration.ofMinutes(1));
    assertThat(check.runs(ts.get(0))).isEqualTo(1);
  }

  @Test
  void aReloadThatKeepsTheTargetKeepsItsRunOfResults() {
    List<Target> ts = targets(1);
    Target t = ts.get(0);
    HealthCheckConfig cfg = config(active(2, 3, INTERVAL, 0), null, null, false);
    check.answer(t, fail());
    UpstreamHealth before = started(cfg, ts);
    timers.advance(Duration.ofMillis(1));
    timers.advance(INTERVAL);
    assertThat(status(t)).isEqualTo(HealthStatus.UNKNOWN);

    // the new generation checks the same address: its first failure is the third in a row
    before.stop();
    started(cfg, ts);
    timers.advance(Duration.ofMillis(1));

    assertThat(check.runs(t)).isEqualTo(3);
    assertThat(status(t)).isEqualTo(HealthStatus.DOWN);
  }
}
