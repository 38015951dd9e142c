package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.config.HealthCheckConfig;
import bulwark.config.PassiveCheckConfig;
import bulwark.config.ScoreConfig;
import bulwark.config.ScoreWeights;
import bulwark.upstream.Outcome;
import bulwark.upstream.Target;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health of one upstream's targets: active checks, passive ejection (outlier detection), the score
 * and drain, and panic mode. What is learned is kept in each target's {@link TargetHealth} (part of
 * its {@link bulwark.upstream.TargetState}), so it outlives reloads; this object holds only the
 * rules and the timers of one config generation.
 *
 * <p>Time comes from an injected ticker (nanoseconds), so tests drive thresholds and ejections
 * without sleeping. Transitions (UP, DOWN, ejected, returned, drained, recovered, panic) are logged
 * at INFO once each.
 */
public final class UpstreamHealth {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHealth.class);

  /** The n-th ejection in a row lasts n × ejectFor, at most this many times. */
  public static final int MAX_EJECTION_MULTIPLIER = 10;
  /** A drained target recovers at floor + this (at most 100), so a score hovering at the floor does not flap. */
  public static final int DRAIN_HYSTERESIS = 5;

  private final String upstream;
  private final HealthCheckConfig config;
  private final ActiveCheckConfig active;
  private final PassiveCheckConfig passive;
  private final ScoreWeights weights;
  private final int floor;
  private final List<Target> targets;
  private final LongSupplier ticker;
  /** TLS toward https targets, or null (defaults); set once, before start. */
  private bulwark.config.UpstreamTlsConfig tls;
  private final int maxEjected;
  private final long ejectForNanos;
  private final AtomicBoolean panicking = new AtomicBoolean();
  private volatile boolean stopped;
  private volatile Vertx vertx;
  private volatile Context context;
  // confined to context
  private HealthCheck check;
  private long[] timers;

  private UpstreamHealth(String upstream, HealthCheckConfig config, List<Target> targets, LongSupplier ticker) {
    this.upstream = upstream;
    this.config = config;
    this.targets = List.copyOf(targets);
    this.ticker = ticker;
    this.active = config == null ? null : config.active();
    this.passive = config == null ? null : config.passive();
    ScoreConfig sc = config == null ? null : config.score();
    this.weights = sc == null || sc.weights() == null ? HealthScore.DEFAULT_WEIGHTS : sc.weights();
    this.floor = sc == null ? 0 : sc.floor();
    this.ejectForNanos = passive == null ? 0 : passive.ejectFor().toNanos();
    this.maxEjected = passive == null ? 0 : maxEjected(targets.size(), passive.maxEjectedPercent().value());
  }

  public static UpstreamHealth of(String upstream, HealthCheckConfig config, List<Target> targets) {
    return of(upstream, config, targets, System::nanoTime);
  }

  /** With the upstream's TLS settings, which the http checks of https targets use. */
  public static UpstreamHealth of(String upstream, HealthCheckConfig config, List<Target> targets, bulwark.config.UpstreamTlsConfig tls) {
    UpstreamHealth h = of(upstream, config, targets, System::nanoTime);
    h.tls = tls;
    return h;
  }

  /** With a ticker in nanoseconds (System::nanoTime in production, a fake one in tests). */
  public static UpstreamHealth of(String upstream, HealthCheckConfig config, List<Target> targets, LongSupplier ticker) {
    return new UpstreamHealth(upstream, config, targets, ticker);
  }

  /**
   * How many of n targets may be ejected at once: floor(n × percent / 100), but at least one when
   * the percent is above 0 (as Envoy does), so a small upstream can still eject its one bad target.
   */
  static int maxEjected(int n, double percent) {
    if (percent <= 0 || n == 0) {
      return 0;
    }
    return Math.max(1, (int) Math.floor(n * percent / 100.0 + 1e-9));
  }

  /**
   * Starts the active checks, if any, on a Vert.x context of their own. Called once, after the table
   * holding this upstream is published. Parts of the health state that this config no longer
   * checks are forgotten first (no active checks: UNKNOWN, score 100; no passive: no ejection).
   */
  public void start(Vertx vertx) {
    forgetUnchecked();
    if (vertx == null || stopped) {
      return;
    }
    this.vertx = vertx;
    Context ctx = vertx.getOrCreateContext();
    this.context = ctx;
    ctx.runOnContext(v -> begin());
  }

  private void forgetUnchecked() {
    for (Target t : targets) {
      TargetHealth h = t.state().health();
      synchronized (h) {
        if (active == null) {
          if (h.status() != HealthStatus.UNKNOWN || h.score() != 100 || h.drained()) {
            h.resetActive();
          }
        } else if (h.drained() && (floor <= 0 || h.score() >= recoverAt())) {
          h.drained(false);
        }
        if (passive == null && (h.ejected() || h.ejections() != 0)) {
          h.resetPassive();
        }
      }
    }
  }

  private void begin() {
    if (stopped) {
      return;
    }
    if (active != null) {
      check = HealthCheck.newCheck(upstream, active, tls, vertx);
      timers = new long[targets.size()];
      long jitter = jitterMillis();
      for (int i = 0; i < targets.size(); i++) {
        // the first round goes out at once, spread over the jitter
        schedule(i, 1 + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0));
      }
    }
    // ejections that outlived the previous generation of this upstream still need to end
    long now = ticker.getAsLong();
    for (Target t : targets) {
      TargetHealth h = t.state().health();
      if (h.ejected()) {
        scheduleReturn(t, h.ejectedUntil(), h.ejectedUntil() - now);
      }
    }
  }

  /** Stops the active checks (the upstream was replaced by a reload, or the gateway stops). */
  public void stop() {
    stopped = true;
    Context ctx = context;
    if (ctx != null) {
      ctx.runOnContext(v -> {
        if (timers != null) {
          for (long id : timers) {
            vertx.cancelTimer(id);
          }
        }
        if (check != null) {
          check.close();
        }
      });
    }
  }

  private long jitterMillis() {
    return active.jitter() == null ? 0 : (long) (active.interval().toMillis() * active.jitter().fraction());
  }

  private void schedule(int i, long delayMillis) {
    timers[i] = vertx.setTimer(Math.max(1, delayMillis), id -> runCheck(i));
  }

  private void runCheck(int i) {
    if (stopped) {
      return;
    }
    Target t = targets.get(i);
    check.check(t).onComplete(ar -> {
      if (stopped) {
        return;
      }
      onCheck(t, ar.succeeded() ? ar.result() : CheckResult.unreachable(HealthCheck.describe(ar.cause())));
      long jitter = jitterMillis();
      schedule(i, active.interval().toMillis() + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0));
    });
  }

  // --- active checks

  /**
   * Records one active check of {@code t}: moves its state (UNKNOWN/DOWN to UP after
   * healthyThreshold passes in a row, UNKNOWN/UP to DOWN after unhealthyThreshold failures in a
   * row), sets its score, drains or recovers it at the floor (on answers only), and ends an
   * ejection early when the check passed. Called by the checker; tests call it directly.
   */
  public void onCheck(Target t, CheckResult r) {
    TargetHealth h = t.state().health();
    int up = active == null ? 1 : active.healthyThreshold();
    int down = active == null ? 1 : active.unhealthyThreshold();
    synchronized (h) {
      if (r.reached()) {
        h.parts(HealthScore.resources(r.body()), HealthScore.dependencies(r.body()));
      }
      int score = HealthScore.of(weights, r.reached(), r.passed(), h.resources(), h.dependencies());
      int n = h.countCheck(r.passed(), r.detail());
      HealthStatus was = h.status();
      if (r.passed() && was != HealthStatus.UP && n >= up) {
        h.status(HealthStatus.UP);
        LOG.info("upstream '{}': target {} is UP ({} passed check(s) in a row, {})", upstream, t.key(), n, r.detail());
      } else if (!r.passed() && was != HealthStatus.DOWN && n >= down) {
        h.status(HealthStatus.DOWN);
        LOG.info("upstream '{}': target {} is DOWN ({} failed check(s) in a row, last: {})", upstream, t.key(), n, r.detail());
      }
      h.score(score);
      // drain decisions come only from answers: a check that got none is a DOWN matter, with its
      // threshold, so one lost check cannot drain a target
      if (r.reached()) {
        if (floor > 0 && !h.drained() && score < floor) {
          h.drained(true);
          LOG.info("upstream '{}': target {} is drained, its score {} is under the floor {}", upstream, t.key(), score, floor);
        } else if (h.drained() && (floor <= 0 || score >= recoverAt())) {
          h.drained(false);
          LOG.info("upstream '{}': target {} recovered from drain, score {}", upstream, t.key(), score);
        }
      }
      if (r.passed() && h.ejected()) {
        h.unEject(ticker.getAsLong());
        LOG.info("upstream '{}': target {} returns from ejection early: an active check passed", upstream, t.key());
      }
    }
  }

  private int recoverAt() {
    return Math.min(100, floor + DRAIN_HYSTERESIS);
  }

  // --- passive checks

  /**
   * The result of one try of a real request: feeds passive outlier detection. Any thread; a success
   * on a target with no failures and no ejection history costs two volatile reads.
   */
  public void onOutcome(Target t, Outcome outcome) {
    if (passive == null) {
      return;
    }
    TargetHealth h = t.state().health();
    if (!outcome.failure()) {
      if (h.failures.get() != 0) {
        h.failures.set(0);
      }
      if (h.ejections() != 0) {
        forgive(t, h);
      }
      return;
    }
    if (h.failures.incrementAndGet() >= passive.consecutiveFailures() && !h.ejected()) {
      eject(t, h, outcome);
    }
  }

  /**
   * The ejection count goes back to 0 on the first success that comes at least ejectFor after the
   * target returned (without being ejected again in between).
   */
  private void forgive(Target t, TargetHealth h) {
    long now = ticker.getAsLong();
    if (h.ejected() || now - h.returnedAt() < ejectForNanos) {
      return;
    }
    synchronized (h) {
      if (h.ejections() != 0 && !h.ejected() && now - h.returnedAt() >= ejectForNanos) {
        h.forgive();
        LOG.debug("upstream '{}': target {} served well since its return, ejection count reset", upstream, t.key());
      }
    }
  }

  private synchronized void eject(Target t, TargetHealth h, Outcome last) {
    long now = ticker.getAsLong();
    returnDue(now);
    if (h.ejected() || h.failures.get() < passive.consecutiveFailures()) {
      return;
    }
    int ejectedNow = 0;
    for (Target o : targets) {
      if (o.state().health().ejected()) {
        ejectedNow++;
      }
    }
    if (ejectedNow >= maxEjected) {
      LOG.debug("upstream '{}': target {} not ejected, {} of {} targets are already (maxEjectedPercent)", upstream, t.key(), ejectedNow, targets.size());
      return;
    }
    long until;
    int count;
    long length;
    synchronized (h) {
      count = h.ejections() + 1;
      length = ejectForNanos * Math.min(count, MAX_EJECTION_MULTIPLIER);
      until = now + length;
      h.eject(until, count);
    }
    LOG.info("upstream '{}': target {} ejected for {} after {} failed requests in a row (last: {}), ejection {} in a row",
        upstream, t.key(), Duration.ofNanos(length), passive.consecutiveFailures(), last, count);
    scheduleReturn(t, until, length);
  }

  private void scheduleReturn(Target t, long until, long inNanos) {
    Vertx v = vertx;
    if (v == null || stopped) {
      return; // not started: refresh() (or start) ends it
    }
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(inNanos) + 1);
    v.setTimer(ms, id -> {
      TargetHealth h = t.state().health();
      if (stopped || !h.ejected() || h.ejectedUntil() != until) {
        return;
      }
      long left = until - ticker.getAsLong();
      if (left > 0) {
        scheduleReturn(t, until, left);
      } else {
        refresh();
      }
    });
  }

  /** Ends the ejections that are due by the ticker. Timers call it; tests call it after moving a fake ticker. */
  public synchronized void refresh() {
    returnDue(ticker.getAsLong());
  }

  private void returnDue(long now) {
    for (Target t : targets) {
      TargetHealth h = t.state().health();
      if (h.ejected() && now - h.ejectedUntil() >= 0) {
        synchronized (h) {
          if (h.ejected() && now - h.ejectedUntil() >= 0) {
            h.unEject(now);
            LOG.info("upstream '{}': target {} returns from ejection", upstream, t.key());
          }
        }
      }
    }
  }

  /** Milliseconds until an ejected target returns; 0 when it is not ejected. */
  public long ejectedForMillis(Target t) {
    TargetHealth h = t.state().health();
    return h.ejected() ? Math.max(0, TimeUnit.NANOSECONDS.toMillis(h.ejectedUntil() - ticker.getAsLong())) : 0;
  }

  // --- panic

  /** Spread traffic over all targets when none is usable. */
  public boolean panic() {
    return config != null && config.panic();
  }

  /** Whether the last pick found no usable target and fell back to panic mode. */
  public boolean panicking() {
    return panicking.get();
  }

  /**
   * Panic mode's pick: a random target by weight, usable or not, that is not in {@code exclude}. A
   * retry (exclude not empty) while some target is still usable gets null instead: it has simply
   * run out of usable targets, which is not a panic.
   */
  public Target panicPick(Set<Target> exclude) {
    if (!exclude.isEmpty()) {
      for (Target t : targets) {
        if (t.available()) {
          return null;
        }
      }
    }
    long total = 0;
    for (Target t : targets) {
      if (!exclude.contains(t) && !t.state().forcedOut()) {
        total += t.weight();
      }
    }
    if (total == 0) {
      return null;
    }
    if (panicking.compareAndSet(false, true)) {
      LOG.warn("upstream '{}': no usable target, panic mode spreads traffic over all {} targets", upstream, targets.size());
    }
    long r = ThreadLocalRandom.current().nextLong(total);
    Target last = null;
    for (Target t : targets) {
      if (!exclude.contains(t) && !t.state().forcedOut()) {
        last = t;
        r -= t.weight();
        if (r < 0) {
          return t;
        }
      }
    }
    return last;
  }

  /** A usable target was picked again after panic mode. */
  public void panicOver() {
    if (panicking.compareAndSet(true, false)) {
      LOG.info("upstream '{}': a target is usable again, panic mode ends", upstream);
    }
  }

  // --- for the admin API

  public HealthCheckConfig config() {
    return config;
  }

  /** How many targets are usable now. */
  public int usable() {
    int n = 0;
    for (Target t : targets) {
      if (t.available()) {
        n++;
      }
    }
    return n;
  }
}
