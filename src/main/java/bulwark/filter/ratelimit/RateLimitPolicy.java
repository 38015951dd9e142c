package bulwark.filter.ratelimit;

import bulwark.config.RateLimitConfig;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;

/**
 * One limit: a bucket of {@code capacity} tokens that refills {@code refill} tokens per {@code
 * period}, greedily (a token comes back every period/refill). Immutable; its header value is
 * encoded once.
 */
public final class RateLimitPolicy {
  private final String name;
  private final long capacity;
  private final long refill;
  private final Duration period;
  private final Duration timeToFull;
  private final String header;
  private final BucketConfiguration bucketConfiguration;

  public RateLimitPolicy(String name, long capacity, long refill, Duration period) {
    if (capacity < 1 || refill < 1 || period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException(
          "rate limit '" + name + "': capacity, refill and period must be positive");
    }
    this.name = name;
    this.capacity = capacity;
    this.refill = refill;
    this.period = period;
    long nanos;
    try {
      long total = Math.multiplyExact(capacity, period.toNanos());
      nanos = total / refill + (total % refill == 0 ? 0 : 1);
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE;
    }
    this.timeToFull = Duration.ofNanos(nanos);
    this.header = RateLimitHeaders.policy(name, capacity, windowSeconds());
    this.bucketConfiguration =
        BucketConfiguration.builder()
            .addLimit(l -> l.capacity(capacity).refillGreedy(refill, period))
            .build();
  }

  /** Capacity is {@code burst}, or the rate's count when burst is 0. */
  public static RateLimitPolicy of(String name, RateLimitConfig c) {
    long capacity = c.burst() > 0 ? c.burst() : c.rate().count();
    return new RateLimitPolicy(name, capacity, c.rate().count(), c.rate().per());
  }

  public String name() {
    return name;
  }

  public long capacity() {
    return capacity;
  }

  public long refill() {
    return refill;
  }

  public Duration period() {
    return period;
  }

  /** Time for an empty bucket to be full again: a key idle that long can be forgotten. */
  public Duration timeToFull() {
    return timeToFull;
  }

  /** The {@code w} of RateLimit-Policy: seconds to fill an empty bucket, rounded up, at least 1. */
  public long windowSeconds() {
    return Math.max(1, RateLimitHeaders.seconds(timeToFull.toNanos()));
  }

  /** The RateLimit-Policy value, e.g. {@code "per-ip";q=20;w=1}. */
  public String header() {
    return header;
  }

  public BucketConfiguration bucketConfiguration() {
    return bucketConfiguration;
  }

  @Override
  public String toString() {
    return name + ": " + capacity + " tokens, +" + refill + " per " + period;
  }
}
