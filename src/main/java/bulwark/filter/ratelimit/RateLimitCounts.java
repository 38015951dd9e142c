package bulwark.filter.ratelimit;

import java.util.concurrent.atomic.LongAdder;

/**
 * How many requests one rateLimit middleware let through and refused, since it was first
 * configured. Kept by name in {@link RateLimitRegistry}, so the counts outlive reloads (a changed
 * limit keeps counting on); read by the metrics. Lock-free.
 */
public final class RateLimitCounts {
  private final LongAdder allowed = new LongAdder();
  private final LongAdder rejected = new LongAdder();

  void allowed() {
    allowed.increment();
  }

  void rejected() {
    rejected.increment();
  }

  public long allowedCount() {
    return allowed.sum();
  }

  public long rejectedCount() {
    return rejected.sum();
  }
}
