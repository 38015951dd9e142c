package bulwark.filter.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;

/**
 * The buckets of one {@code scope: local} limit, in this gateway's memory, one per key. Memory is
 * bounded two ways: a key idle for the time the bucket takes to fill up is dropped (a new bucket
 * starts full, so forgetting it changes nothing), and past {@code maxKeys} the least recently used
 * keys are dropped (Caffeine's size bound). Thread-safe and lock-free on a hit: buckets are
 * Bucket4j's lock-free local buckets.
 */
public final class LocalBuckets {
  private final RateLimitPolicy policy;
  private final TimeMeter time;
  private final Cache<String, Bucket> buckets;

  public LocalBuckets(RateLimitPolicy policy, int maxKeys, TimeMeter time) {
    this.policy = policy;
    this.time = time;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(policy.timeToFull())
            .ticker(time::currentTimeNanos)
            // eviction work runs in the calling thread, a little at a time: no pool thread, and
            // tests see it at once
            .executor(Runnable::run)
            .build();
  }

  /** Takes one token from the bucket of {@code key}, creating it full if the key is new. */
  public ConsumptionProbe tryConsume(String key) {
    return buckets.get(key, k -> newBucket()).tryConsumeAndReturnRemaining(1);
  }

  private Bucket newBucket() {
    return Bucket.builder()
        .addLimit(l -> l.capacity(policy.capacity()).refillGreedy(policy.refill(), policy.period()))
        .withCustomTimePrecision(time)
        .build();
  }

  public RateLimitPolicy policy() {
    return policy;
  }

  /** Keys held now (after pending expiry and eviction work is done). */
  public long keys() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }

  /**
   * True while {@code key} has a bucket (it was used and has not expired or been evicted). Not an
   * access.
   */
  public boolean holds(String key) {
    return buckets.policy().getIfPresentQuietly(key) != null;
  }
}
