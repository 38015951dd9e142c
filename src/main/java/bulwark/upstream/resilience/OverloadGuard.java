package bulwark.upstream.resilience;

import bulwark.config.OverloadConfig;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy-style thresholds for one upstream, over all event loops: requests in flight, requests
 * waiting for a connection, and an optional adaptive limit. Past any of them a request is refused
 * at once (the proxy answers 503 problem+json). Lock-free.
 */
public final class OverloadGuard {
  /** Why a request was refused, or null. */
  public enum Refusal {
    IN_FLIGHT,
    PENDING,
    ADAPTIVE
  }

  private final int maxInFlight;
  private final int maxPending;
  private final ConcurrencyLimiter adaptive;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();

  public OverloadGuard(OverloadConfig c) {
    this.maxInFlight = c == null ? 0 : c.maxInFlight();
    this.maxPending = c == null ? 0 : c.maxPending();
    this.adaptive = c == null || c.adaptive() == null ? null : new ConcurrencyLimiter(c.adaptive());
  }

  /** Admits a request (then {@link #release} once) or says why not. */
  public Refusal tryAcquire() {
    int n = inFlight.incrementAndGet();
    if (maxInFlight > 0 && n > maxInFlight) {
      inFlight.decrementAndGet();
      return Refusal.IN_FLIGHT;
    }
    if (adaptive != null && n > adaptive.limit()) {
      inFlight.decrementAndGet();
      return Refusal.ADAPTIVE;
    }
    return null;
  }

  public void release() {
    inFlight.decrementAndGet();
  }

  /** A request starts waiting for a connection; false (and nothing counted) past maxPending. */
  public boolean tryPending() {
    int n = pending.incrementAndGet();
    if (maxPending > 0 && n > maxPending) {
      pending.decrementAndGet();
      return false;
    }
    return true;
  }

  public void pendingDone() {
    pending.decrementAndGet();
  }

  /** Feeds the adaptive limit, if any. */
  public void sample(long rttNanos, int inFlightAtStart, boolean dropped) {
    if (adaptive != null) adaptive.onSample(rttNanos, inFlightAtStart, dropped);
  }

  public int inFlight() {
    return inFlight.get();
  }

  public int pending() {
    return pending.get();
  }

  public int maxInFlight() {
    return maxInFlight;
  }

  public int maxPending() {
    return maxPending;
  }

  /** The adaptive limit now, or -1 when there is none. */
  public int adaptiveLimit() {
    return adaptive == null ? -1 : adaptive.limit();
  }
}
