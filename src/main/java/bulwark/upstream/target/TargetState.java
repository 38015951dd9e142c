package bulwark.upstream.target;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live state of one target address ("host:port"). Outlives config reloads: a reload that keeps the
 * address keeps this object. Thread-safe; no locks.
 */
public final class TargetState {
  private final String key;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final TargetHealth health = new TargetHealth();
  private volatile boolean available = true;

  public TargetState(String key) {
    this.key = Objects.requireNonNull(key, "key");
  }

  public String key() {
    return key;
  }

  /** Current number of in-flight requests. */
  public int inFlight() {
    return inFlight.get();
  }

  /** A request to this target started. */
  public void begin() {
    inFlight.incrementAndGet();
  }

  /** A request to this target finished. Never goes below 0 (an unmatched end() is ignored). */
  public void end() {
    int v;
    do {
      v = inFlight.get();
      if (v <= 0) {
        return;
      }
    } while (!inFlight.compareAndSet(v, v - 1));
  }

  /**
   * Whether the target may be picked: health says it is usable (not DOWN, not ejected, not drained)
   * and it was not taken out by {@link #setAvailable(boolean)}.
   */
  public boolean available() {
    return available && health.usable();
  }

  /** Takes the target out of (or puts it back into) rotation regardless of health. */
  public void setAvailable(boolean v) {
    available = v;
  }

  /**
   * Whether {@link #setAvailable(boolean)} took the target out (remediation's ejectTarget); even
   * panic mode skips it then.
   */
  public boolean forcedOut() {
    return !available;
  }

  /** The health score, 0 to 100, that balancers weight traffic by (100 without active checks). */
  public int score() {
    return health.score();
  }

  /** What health checking has learned about this address. */
  public TargetHealth health() {
    return health;
  }

  @Override
  public String toString() {
    return "TargetState["
        + key
        + ", inFlight="
        + inFlight()
        + ", available="
        + available()
        + ", "
        + health
        + "]";
  }
}
