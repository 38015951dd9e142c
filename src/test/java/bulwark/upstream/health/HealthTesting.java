package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.HealthCheckConfig;
import bulwark.config.HealthCheckType;
import bulwark.config.PassiveCheckConfig;
import bulwark.config.Percent;
import bulwark.config.ScoreConfig;
import bulwark.config.ScoreWeights;
import bulwark.upstream.Target;
import bulwark.upstream.TargetState;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Builders shared by the health tests: configs, targets, check results and a fake ticker. */
public final class HealthTesting {
  private HealthTesting() {}

  /** A ticker the test moves by hand. */
  public static final class FakeTicker implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long getAsLong() {
      return nanos.get();
    }

    public void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }

  public static List<Target> targets(int n) {
    List<Target> ts = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String key = "10.0.0." + i + ":8080";
      ts.add(new Target(key, "10.0.0." + i, 8080, false, 1, new TargetState(key)));
    }
    return ts;
  }

  public static ActiveCheckConfig active(int healthy, int unhealthy) {
    return new ActiveCheckConfig(HealthCheckType.HTTP, "/health", List.of(), null, Duration.ofSeconds(5), new Percent(10), Duration.ofSeconds(1), healthy, unhealthy);
  }

  public static PassiveCheckConfig passive(int consecutiveFailures, Duration ejectFor, double maxEjectedPercent) {
    return new PassiveCheckConfig(consecutiveFailures, ejectFor, new Percent(maxEjectedPercent));
  }

  /** Only the resources part counts, so a check's score is exactly round(100 × (1 - cpu)). */
  public static ScoreConfig resourcesOnly(int floor) {
    return new ScoreConfig(new ScoreWeights(0, 0, 100, 0), floor);
  }

  public static HealthCheckConfig config(ActiveCheckConfig a, PassiveCheckConfig p, ScoreConfig s, boolean panic) {
    return new HealthCheckConfig(a, p, s == null ? new ScoreConfig(HealthScore.DEFAULT_WEIGHTS, 20) : s, panic);
  }

  public static CheckResult pass() {
    return CheckResult.passed("200", null);
  }

  public static CheckResult fail() {
    return CheckResult.failed("503", null);
  }

  /** A passing check whose JSON reports this cpu use. */
  public static CheckResult passWithCpu(double cpu) {
    return CheckResult.passed("200", new JsonObject().put("cpu", cpu));
  }
}
