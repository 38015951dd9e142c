package bulwark.upstream.resilience;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * A retry budget in the manner of Linkerd and Envoy: over the last {@code windowSeconds}, retries
 * may be at most {@code ratio} of the requests plus {@code minPerSecond} per second, so that
 * retries cannot multiply an outage. Requests are counted without a lock: one-second buckets
 * stamped with their second, in atomic arrays; a bucket is reset by the first event of a new second
 * that lands on it.
 */
public final class RetryBudget {
  private final double ratio;
  private final long minPerSecond;
  private final int windowSeconds;
  private final LongSupplier nanos;
  private final AtomicLongArray second;
  private final AtomicLongArray requests;
  private final AtomicLongArray retries;

  public RetryBudget(double ratio, long minPerSecond, int windowSeconds, LongSupplier nanos) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
    this.windowSeconds = windowSeconds;
    this.nanos = nanos;
    this.second = new AtomicLongArray(windowSeconds);
    this.requests = new AtomicLongArray(windowSeconds);
    this.retries = new AtomicLongArray(windowSeconds);
    long now = now();
    for (int i = 0; i < windowSeconds; i++) second.set(i, now - windowSeconds);
  }

  private long now() {
    return Math.floorDiv(nanos.getAsLong(), 1_000_000_000L);
  }

  private int bucket(long sec) {
    int i = (int) Math.floorMod(sec, (long) windowSeconds);
    long s = second.get(i);
    if (s != sec && second.compareAndSet(i, s, sec)) {
      requests.set(i, 0);
      retries.set(i, 0);
    }
    return i;
  }

  /** A first try of a request started (retries are not counted here). */
  public void onRequest() {
    requests.incrementAndGet(bucket(now()));
  }

  /**
   * Takes one retry from the budget; false when the budget is spent (the retry must not happen).
   * The check and the take are one step (event loops share the budget: two that checked at once
   * could otherwise both take the last retry). Retries are rare next to requests, so the lock is
   * seldom contended, and counting requests takes none.
   */
  public synchronized boolean tryRetry() {
    long sec = now();
    if (retriesInWindow(sec) >= allowedInWindow(sec)) return false;
    retries.incrementAndGet(bucket(sec));
    return true;
  }

  /** Retries the window allows now: minPerSecond x window + ratio x requests in the window. */
  public long allowed() {
    return allowedInWindow(now());
  }

  public long retriesInWindow() {
    return retriesInWindow(now());
  }

  private long allowedInWindow(long sec) {
    return minPerSecond * windowSeconds + (long) Math.floor(ratio * sum(requests, sec));
  }

  private long retriesInWindow(long sec) {
    return sum(retries, sec);
  }

  private long sum(AtomicLongArray a, long sec) {
    long total = 0;
    for (int i = 0; i < windowSeconds; i++) {
      long s = second.get(i);
      if (s > sec - windowSeconds && s <= sec) total += a.get(i);
    }
    return total;
  }
}
