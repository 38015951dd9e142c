package bulwark.upstream;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live state of one target address ("host:port"). Outlives config reloads: a reload that keeps
 * the address keeps this object. Thread-safe; no locks.
 */
public final class TargetState {
  private final String key;
  private final AtomicInteger inFlight = new AtomicInteger();
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

  /** Whether the target may be picked. Always true until health checks set it. */
  public boolean available() {
    return available;
  }

  public void setAvailable(boolean v) {
    available = v;
  }

  @Override
  public String toString() {
    return "TargetState[" + key + ", inFlight=" + inFlight() + ", available=" + available + "]";
  }
}
