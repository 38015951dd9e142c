package bulwark.upstream.health;

import bulwark.config.PassiveCheckConfig;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive checks (outlier detection): {@code consecutiveFailures} failed tries of real requests in
 * a row eject a target for {@code ejectFor} × the number of ejections in a row (at most {@link
 * #MAX_EJECTION_MULTIPLIER}), while no more than {@code maxEjectedPercent} of the upstream's
 * targets are ejected at once. A target returns when its time is up (a timer, or {@link
 * #refresh()}) or early when an active check passes; its count of ejections in a row is forgiven
 * once it has served well for {@code ejectFor} after returning.
 *
 * <p>The state lives in each target's {@link TargetHealth}, so an ejection outlives the config
 * generation that made it; {@link #resume()} schedules the return of ejections carried over.
 */
final class OutlierEjection {
  // the documented logger name of every health transition (docs/health.md)
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHealth.class);

  /** The n-th ejection in a row lasts n × ejectFor, at most this many times. */
  static final int MAX_EJECTION_MULTIPLIER = 10;

  private final String upstream;

  /** Null when the upstream has no passive checks: outcomes are then ignored. */
  private final PassiveCheckConfig config;

  private final List<Target> targets;
  private final LongSupplier ticker;
  private final long ejectForNanos;
  private final int maxEjected;
  private volatile boolean stopped;

  /** Set once started; until then an ejection ends by refresh() or by the start's resume(). */
  private volatile Timers timers;

  OutlierEjection(
      String upstream, PassiveCheckConfig config, List<Target> targets, LongSupplier ticker) {
    this.upstream = upstream;
    this.config = config;
    this.targets = targets;
    this.ticker = ticker;
    this.ejectForNanos = config == null ? 0 : config.ejectFor().toNanos();
    this.maxEjected =
        config == null ? 0 : maxEjected(targets.size(), config.maxEjectedPercent().value());
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

  boolean configured() {
    return config != null;
  }

  /**
   * Forgets ejections learned under a config that had passive checks, when this one has none.
   * Caller holds h.
   */
  void carryOver(TargetHealth h) {
    if (config == null && (h.ejected() || h.ejections() != 0)) {
      h.resetPassive();
    }
  }

  /** From now on ejections end by these timers. */
  void attach(Timers timers) {
    this.timers = timers;
  }

  /**
   * Schedules the return of the ejections that outlived the previous generation of this upstream.
   */
  void resume() {
    long now = ticker.getAsLong();
    for (Target t : targets) {
      TargetHealth h = t.state().health();
      if (h.ejected()) {
        scheduleReturn(t, h.ejectedUntil(), h.ejectedUntil() - now);
      }
    }
  }

  /** No more timers act; the state stays with the targets for the next generation. */
  void stop() {
    stopped = true;
  }

  /**
   * The result of one try of a real request. Any thread; a success on a target with no failures and
   * no ejection history costs two volatile reads.
   */
  void onOutcome(Target t, Outcome outcome) {
    if (config == null) {
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
    if (h.failures.incrementAndGet() >= config.consecutiveFailures() && !h.ejected()) {
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
        LOG.debug(
            "upstream '{}': target {} served well since its return, ejection count reset",
            upstream,
            t.key());
      }
    }
  }

  // lock order: this, then a target's health
  private synchronized void eject(Target t, TargetHealth h, Outcome last) {
    long now = ticker.getAsLong();
    returnDue(now);
    if (h.ejected() || h.failures.get() < config.consecutiveFailures()) {
      return;
    }
    int ejectedNow = 0;
    for (Target o : targets) {
      if (o.state().health().ejected()) {
        ejectedNow++;
      }
    }
    if (ejectedNow >= maxEjected) {
      LOG.debug(
          "upstream '{}': target {} not ejected, {} of {} targets are already (maxEjectedPercent)",
          upstream,
          t.key(),
          ejectedNow,
          targets.size());
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
    LOG.info(
        "upstream '{}': target {} ejected for {} after {} failed requests in a row (last: {}), ejection {} in a row",
        upstream,
        t.key(),
        Duration.ofNanos(length),
        config.consecutiveFailures(),
        last,
        count);
    scheduleReturn(t, until, length);
  }

  private void scheduleReturn(Target t, long until, long inNanos) {
    Timers ts = timers;
    if (ts == null || stopped) {
      return; // not started: refresh() (or start) ends it
    }
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(inNanos) + 1);
    ts.schedule(
        ms,
        () -> {
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

  /**
   * An active check passed: the target returns now, its count of ejections in a row kept. Caller
   * holds h.
   */
  void returnEarly(Target t, TargetHealth h) {
    if (h.ejected()) {
      h.unEject(ticker.getAsLong());
      LOG.info(
          "upstream '{}': target {} returns from ejection early: an active check passed",
          upstream,
          t.key());
    }
  }

  /** Ends the ejections that are due by the ticker. */
  synchronized void refresh() {
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
  long ejectedForMillis(Target t) {
    TargetHealth h = t.state().health();
    return h.ejected()
        ? Math.max(0, TimeUnit.NANOSECONDS.toMillis(h.ejectedUntil() - ticker.getAsLong()))
        : 0;
  }
}
