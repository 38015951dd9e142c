package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.upstream.target.HealthStatus;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active checks: one {@link HealthCheck} (http, tcp or grpc) per target every {@code interval} plus
 * a random jitter, and the thresholds that turn runs of results into a status. UNKNOWN or DOWN goes
 * UP after {@code healthyThreshold} passes in a row; UNKNOWN or UP goes DOWN after {@code
 * unhealthyThreshold} failures in a row.
 *
 * <p>The scheduling is confined to the checker's context ({@link #begin} and {@link #close} run
 * there); {@link #record} runs under the target's health monitor.
 */
final class ActiveChecks {
  // the documented logger name of every health transition (docs/health.md)
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHealth.class);

  private final String upstream;

  /**
   * Null when the upstream has no active checks (a check recorded then moves at the first result).
   */
  private final ActiveCheckConfig config;

  private final List<Target> targets;
  private final int healthyThreshold;
  private final int unhealthyThreshold;
  private volatile boolean stopped;
  // confined to the checker's context
  private Timers timers;
  private HealthCheck check;
  private BiConsumer<Target, CheckResult> results;
  private long[] ids;

  ActiveChecks(String upstream, ActiveCheckConfig config, List<Target> targets) {
    this.upstream = upstream;
    this.config = config;
    this.targets = targets;
    this.healthyThreshold = config == null ? 1 : config.healthyThreshold();
    this.unhealthyThreshold = config == null ? 1 : config.unhealthyThreshold();
  }

  boolean configured() {
    return config != null;
  }

  ActiveCheckConfig config() {
    return config;
  }

  /**
   * Forgets what active checks learned under a config that had them, when this one has none: the
   * status, the score and a drain. Caller holds h.
   */
  void carryOver(TargetHealth h) {
    if (config == null && (h.status() != HealthStatus.UNKNOWN || h.score() != 100 || h.drained())) {
      h.resetActive();
    }
  }

  // --- the thresholds

  /**
   * Records one check of {@code t}: its outcome for the admin API, and UP or DOWN at a threshold.
   * Caller holds h.
   */
  void record(Target t, TargetHealth h, CheckResult r) {
    int n = h.countCheck(r.passed(), r.detail());
    HealthStatus was = h.status();
    if (r.passed() && was != HealthStatus.UP && n >= healthyThreshold) {
      h.status(HealthStatus.UP);
      LOG.info(
          "upstream '{}': target {} is UP ({} passed check(s) in a row, {})",
          upstream,
          t.key(),
          n,
          r.detail());
    } else if (!r.passed() && was != HealthStatus.DOWN && n >= unhealthyThreshold) {
      h.status(HealthStatus.DOWN);
      LOG.info(
          "upstream '{}': target {} is DOWN ({} failed check(s) in a row, last: {})",
          upstream,
          t.key(),
          n,
          r.detail());
    }
  }

  // --- the scheduling

  /**
   * Checks every target with {@code check} from now on, handing each result to {@code results}. The
   * first round goes out at once, spread over the jitter. On the checker's context.
   */
  void begin(Timers timers, HealthCheck check, BiConsumer<Target, CheckResult> results) {
    if (stopped || config == null) {
      return;
    }
    this.timers = timers;
    this.check = check;
    this.results = results;
    this.ids = new long[targets.size()];
    for (int i = 0; i < targets.size(); i++) {
      schedule(i, 1 + jitterMillis());
    }
  }

  /** No more checks start or count; call {@link #close()} on the checker's context after. */
  void stop() {
    stopped = true;
  }

  /** Cancels the timers and closes the check's client. On the checker's context. */
  void close() {
    if (ids != null) {
      for (long id : ids) {
        timers.cancel(id);
      }
    }
    if (check != null) {
      check.close();
    }
  }

  /** A random spread in [0, interval × jitter], so the checks of many targets do not align. */
  private long jitterMillis() {
    long max =
        config.jitter() == null
            ? 0
            : (long) (config.interval().toMillis() * config.jitter().fraction());
    return max > 0 ? ThreadLocalRandom.current().nextLong(max + 1) : 0;
  }

  private void schedule(int i, long delayMillis) {
    ids[i] = timers.schedule(Math.max(1, delayMillis), () -> run(i));
  }

  private void run(int i) {
    if (stopped) {
      return;
    }
    Target t = targets.get(i);
    check
        .check(t)
        .onComplete(
            ar -> {
              if (stopped) {
                return;
              }
              results.accept(
                  t,
                  ar.succeeded()
                      ? ar.result()
                      : CheckResult.unreachable(HealthCheck.describe(ar.cause())));
              schedule(i, config.interval().toMillis() + jitterMillis());
            });
  }
}
