package bulwark.upstream.health;

import bulwark.config.HealthCheckConfig;
import bulwark.config.UpstreamTlsConfig;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Health of one upstream's targets, the one object the rest of the gateway talks to. Each job is
 * its own class: {@link ActiveChecks} (scheduling the checks, thresholds), {@link ScoreAndDrain}
 * (the score and the floor), {@link OutlierEjection} (passive checks) and {@link PanicMode}. What
 * is learned is kept in each target's {@link TargetHealth} (part of its {@link
 * bulwark.upstream.target.TargetState}), so it outlives reloads; this object and its jobs hold only
 * the rules and the timers of one config generation.
 *
 * <p>Time comes from an injected ticker (nanoseconds) and waits from injected {@link Timers}, so
 * tests drive thresholds, ejections and returns without sleeping. Transitions (UP, DOWN, ejected,
 * returned, drained, recovered, panic) are logged at INFO once each, under this class's name.
 */
public final class UpstreamHealth {
  private final String upstream;
  private final HealthCheckConfig config;
  private final List<Target> targets;
  private final ActiveChecks active;
  private final ScoreAndDrain scoring;
  private final OutlierEjection ejection;
  private final PanicMode panic;

  /** TLS toward https targets, or null (defaults); set once, before start. */
  private UpstreamTlsConfig tls;

  private volatile boolean stopped;
  private volatile Context context;

  private UpstreamHealth(
      String upstream, HealthCheckConfig config, List<Target> targets, LongSupplier ticker) {
    this.upstream = upstream;
    this.config = config;
    this.targets = List.copyOf(targets);
    this.active = new ActiveChecks(upstream, config == null ? null : config.active(), this.targets);
    this.scoring = new ScoreAndDrain(upstream, config == null ? null : config.score());
    this.ejection =
        new OutlierEjection(
            upstream, config == null ? null : config.passive(), this.targets, ticker);
    this.panic = new PanicMode(upstream, config != null && config.panic(), this.targets);
  }

  public static UpstreamHealth of(String upstream, HealthCheckConfig config, List<Target> targets) {
    return of(upstream, config, targets, System::nanoTime);
  }

  /** With the upstream's TLS settings, which the http checks of https targets use. */
  public static UpstreamHealth of(
      String upstream, HealthCheckConfig config, List<Target> targets, UpstreamTlsConfig tls) {
    UpstreamHealth h = of(upstream, config, targets, System::nanoTime);
    h.tls = tls;
    return h;
  }

  /** With a ticker in nanoseconds (System::nanoTime in production, a fake one in tests). */
  public static UpstreamHealth of(
      String upstream, HealthCheckConfig config, List<Target> targets, LongSupplier ticker) {
    return new UpstreamHealth(upstream, config, targets, ticker);
  }

  // --- lifecycle

  /**
   * Starts the active checks, if any, on a Vert.x context of their own. Called once, after the
   * table holding this upstream is published. Parts of the health state that this config no longer
   * checks are forgotten first (no active checks: UNKNOWN, score 100; no passive: no ejection).
   */
  public void start(Vertx vertx) {
    carryOver();
    if (vertx == null || stopped) {
      return;
    }
    Timers timers = Timers.of(vertx);
    Context ctx = vertx.getOrCreateContext();
    this.context = ctx;
    ejection.attach(timers);
    ctx.runOnContext(
        v -> begin(timers, () -> HealthCheck.newCheck(upstream, active.config(), tls, vertx)));
  }

  /**
   * {@link #start(Vertx)} with these timers and this check, on the caller's thread: what tests
   * drive.
   */
  void start(Timers timers, HealthCheck check) {
    carryOver();
    if (stopped) {
      return;
    }
    ejection.attach(timers);
    begin(timers, () -> check);
  }

  /** What was learned under the previous config and is no longer checked is forgotten. */
  private void carryOver() {
    for (Target t : targets) {
      TargetHealth h = t.state().health();
      synchronized (h) {
        if (active.configured()) {
          scoring.carryOver(h);
        } else {
          active.carryOver(h);
        }
        ejection.carryOver(h);
      }
    }
  }

  private void begin(Timers timers, Supplier<HealthCheck> check) {
    if (stopped) {
      return;
    }
    if (active.configured()) {
      active.begin(timers, check.get(), this::onCheck);
    }
    // ejections that outlived the previous generation of this upstream still need to end
    ejection.resume();
  }

  /**
   * Stops the active checks and the ejection timers (the upstream was replaced by a reload, or the
   * gateway stops).
   */
  public void stop() {
    stopped = true;
    active.stop();
    ejection.stop();
    Context ctx = context;
    if (ctx != null) {
      ctx.runOnContext(v -> active.close());
    } else {
      active.close(); // never started on a context: nothing, or what a test started on its thread
    }
  }

  // --- what the checks and the requests report

  /**
   * Records one active check of {@code t}: moves its state (UNKNOWN/DOWN to UP after
   * healthyThreshold passes in a row, UNKNOWN/UP to DOWN after unhealthyThreshold failures in a
   * row), sets its score, drains or recovers it at the floor (on answers only), and ends an
   * ejection early when the check passed. Called by the checker; tests call it directly.
   */
  public void onCheck(Target t, CheckResult r) {
    TargetHealth h = t.state().health();
    synchronized (h) {
      active.record(t, h, r);
      scoring.record(t, h, r);
      if (r.passed()) {
        ejection.returnEarly(t, h);
      }
    }
  }

  /** The result of one try of a real request: feeds passive outlier detection. Any thread. */
  public void onOutcome(Target t, Outcome outcome) {
    ejection.onOutcome(t, outcome);
  }

  /**
   * Ends the ejections that are due by the ticker. Timers call it; tests call it after moving a
   * fake ticker.
   */
  public void refresh() {
    ejection.refresh();
  }

  /** Milliseconds until an ejected target returns; 0 when it is not ejected. */
  public long ejectedForMillis(Target t) {
    return ejection.ejectedForMillis(t);
  }

  // --- panic

  /** Spread traffic over all targets when none is usable. */
  public boolean panic() {
    return panic.enabled();
  }

  /** Whether the last pick found no usable target and fell back to panic mode. */
  public boolean panicking() {
    return panic.panicking();
  }

  /**
   * Panic mode's pick: a random target by weight, usable or not, that is not in {@code exclude}. A
   * retry (exclude not empty) while some target is still usable gets null instead: it has simply
   * run out of usable targets, which is not a panic.
   */
  public Target panicPick(Set<Target> exclude) {
    return panic.pick(exclude);
  }

  /** A usable target was picked again after panic mode. */
  public void panicOver() {
    panic.over();
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
