package bulwark.upstream.target;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What health checking has learned about one target address. Part of its {@link TargetState}, so it
 * outlives reloads like the in-flight count.
 *
 * <p>The hot path reads two volatile fields ({@link #usable()} and {@link #score()}); everything
 * else is written by the health jobs of {@code bulwark.upstream.health} (ActiveChecks,
 * ScoreAndDrain, OutlierEjection) under this object's monitor, off the request path except for the
 * passive failure counter, which is an atomic.
 *
 * <p>The mutators are public only because the health jobs live in the package above this one
 * (upstream.health imports upstream.target, not the other way round); nothing else calls them.
 */
public final class TargetHealth {
  // read on every pick
  private volatile boolean usable = true;
  private volatile int score = 100;

  // written under the monitor
  private volatile HealthStatus status = HealthStatus.UNKNOWN;
  private volatile boolean drained;
  private volatile boolean ejected;
  private volatile long ejectedUntil; // ticker nanos, meaningful while ejected
  private volatile int ejections; // consecutive ejections (reset by the forgiveness rule)
  private volatile long returnedAt; // ticker nanos of the last return from an ejection
  private volatile String lastCheck;
  private double resources = 1.0; // the last answer's resources part of the score
  private double dependencies = 1.0; // the last answer's dependencies part
  private int passes; // consecutive passed active checks
  private int fails; // consecutive failed active checks

  /** Consecutive failed tries of real requests (passive checks). */
  public final AtomicInteger failures = new AtomicInteger();

  /** Not DOWN, not ejected, not drained. */
  public boolean usable() {
    return usable;
  }

  /** The health score, 0 to 100; 100 until an active check says otherwise. */
  public int score() {
    return score;
  }

  public HealthStatus status() {
    return status;
  }

  public boolean drained() {
    return drained;
  }

  public boolean ejected() {
    return ejected;
  }

  /** Ejections in a row so far (what the next ejection's length is multiplied by, plus one). */
  public int ejections() {
    return ejections;
  }

  /** The outcome of the last active check, for the admin API ("200", "connection refused"...). */
  public String lastCheck() {
    return lastCheck;
  }

  // --- bookkeeping, for the health jobs (callers hold the monitor)

  public long ejectedUntil() {
    return ejectedUntil;
  }

  public long returnedAt() {
    return returnedAt;
  }

  /** Records one active check; returns the consecutive count of its kind (passes or failures). */
  public int countCheck(boolean passed, String detail) {
    lastCheck = detail;
    if (passed) {
      fails = 0;
      return ++passes;
    }
    passes = 0;
    return ++fails;
  }

  public void status(HealthStatus s) {
    status = s;
    recompute();
  }

  public void score(int s) {
    score = s;
  }

  public double resources() {
    return resources;
  }

  public double dependencies() {
    return dependencies;
  }

  public void parts(double resources, double dependencies) {
    this.resources = resources;
    this.dependencies = dependencies;
  }

  public void drained(boolean d) {
    drained = d;
    recompute();
  }

  public void eject(long until, int count) {
    ejected = true;
    ejectedUntil = until;
    ejections = count;
    failures.set(0);
    recompute();
  }

  public void unEject(long now) {
    ejected = false;
    returnedAt = now;
    failures.set(0);
    recompute();
  }

  public void forgive() {
    ejections = 0;
  }

  /** Forgets what active checks learned (they are no longer configured). */
  public void resetActive() {
    status = HealthStatus.UNKNOWN;
    passes = 0;
    fails = 0;
    score = 100;
    resources = 1.0;
    dependencies = 1.0;
    drained = false;
    lastCheck = null;
    recompute();
  }

  /** Forgets ejections (passive checks are no longer configured). */
  public void resetPassive() {
    ejected = false;
    ejections = 0;
    failures.set(0);
    recompute();
  }

  private void recompute() {
    usable = status != HealthStatus.DOWN && !ejected && !drained;
  }

  @Override
  public String toString() {
    return "TargetHealth["
        + status
        + ", score="
        + score
        + (drained ? ", drained" : "")
        + (ejected ? ", ejected" : "")
        + ", ejections="
        + ejections
        + "]";
  }
}
