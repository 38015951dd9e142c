package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.HealthCheckConfig;
import bulwark.config.HealthCheckType;
import bulwark.config.PassiveCheckConfig;
import bulwark.config.Percent;
import bulwark.config.ScoreConfig;
import bulwark.config.ScoreWeights;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Builders shared by the health tests: configs, targets, check results, a fake ticker, fake timers
 * and a scripted check.
 */
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

  /**
   * Timers that fire only when the test moves time: each runs at its due time on the ticker it
   * shares with the rules, in order, on the test's thread.
   */
  public static final class FakeTimers implements Timers {
    private record Due(long at, long id, Runnable task) {}

    private final FakeTicker ticker;
    private final PriorityQueue<Due> queue =
        new PriorityQueue<>(Comparator.comparingLong(Due::at).thenComparingLong(Due::id));
    private long nextId = 1;

    public FakeTimers(FakeTicker ticker) {
      this.ticker = ticker;
    }

    @Override
    public long schedule(long delayMillis, Runnable task) {
      if (delayMillis < 1) {
        throw new IllegalArgumentException("Vert.x refuses a delay under 1ms: " + delayMillis);
      }
      long id = nextId++;
      queue.add(new Due(ticker.getAsLong() + TimeUnit.MILLISECONDS.toNanos(delayMillis), id, task));
      return id;
    }

    @Override
    public void cancel(long id) {
      queue.removeIf(d -> d.id() == id);
    }

    /** Timers neither fired nor cancelled. */
    public int pending() {
      return queue.size();
    }

    /** Moves the ticker to the next timer and runs it; false when none is pending. */
    public boolean runNext() {
      Due d = queue.poll();
      if (d == null) {
        return false;
      }
      long now = ticker.getAsLong();
      if (d.at() > now) {
        ticker.advance(Duration.ofNanos(d.at() - now));
      }
      d.task().run();
      return true;
    }

    /** Moves the ticker by {@code d}, running every timer that falls due on the way at its time. */
    public void advance(Duration d) {
      long end = ticker.getAsLong() + d.toNanos();
      while (!queue.isEmpty() && queue.peek().at() <= end) {
        runNext();
      }
      ticker.advance(Duration.ofNanos(end - ticker.getAsLong()));
    }
  }

  /**
   * An active check that answers what the test scripted for each target (a pass by default) at
   * once, and counts its runs.
   */
  public static final class ScriptedCheck implements HealthCheck {
    private final Map<Target, Future<CheckResult>> answers = new ConcurrentHashMap<>();
    private final Map<Target, Integer> runs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** From now on checks of t answer r. */
    public ScriptedCheck answer(Target t, CheckResult r) {
      answers.put(t, Future.succeededFuture(r));
      return this;
    }

    /**
     * From now on checks of t fail with e (the check's own future fails, as a client error would).
     */
    public ScriptedCheck failWith(Target t, Throwable e) {
      answers.put(t, Future.failedFuture(e));
      return this;
    }

    public int runs(Target t) {
      return runs.getOrDefault(t, 0);
    }

    public boolean closed() {
      return closed;
    }

    @Override
    public Future<CheckResult> check(Target target) {
      runs.merge(target, 1, Integer::sum);
      return answers.getOrDefault(target, Future.succeededFuture(pass()));
    }

    @Override
    public Future<Void> close() {
      closed = true;
      return Future.succeededFuture();
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
    return new ActiveCheckConfig(
        HealthCheckType.HTTP,
        null,
        "/health",
        List.of(),
        null,
        Duration.ofSeconds(5),
        new Percent(10),
        Duration.ofSeconds(1),
        healthy,
        unhealthy);
  }

  /**
   * Checks every {@code interval} plus this jitter (0: none, so a test knows when each round runs).
   */
  public static ActiveCheckConfig active(
      int healthy, int unhealthy, Duration interval, double jitterPercent) {
    return new ActiveCheckConfig(
        HealthCheckType.HTTP,
        null,
        "/health",
        List.of(),
        null,
        interval,
        new Percent(jitterPercent),
        Duration.ofSeconds(1),
        healthy,
        unhealthy);
  }

  public static PassiveCheckConfig passive(
      int consecutiveFailures, Duration ejectFor, double maxEjectedPercent) {
    return new PassiveCheckConfig(consecutiveFailures, ejectFor, new Percent(maxEjectedPercent));
  }

  /** Only the resources part counts, so a check's score is exactly round(100 × (1 - cpu)). */
  public static ScoreConfig resourcesOnly(int floor) {
    return new ScoreConfig(new ScoreWeights(0, 0, 100, 0), floor);
  }

  public static HealthCheckConfig config(
      ActiveCheckConfig a, PassiveCheckConfig p, ScoreConfig s, boolean panic) {
    return new HealthCheckConfig(
        a, p, s == null ? new ScoreConfig(HealthScore.DEFAULT_WEIGHTS, 20) : s, panic);
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
