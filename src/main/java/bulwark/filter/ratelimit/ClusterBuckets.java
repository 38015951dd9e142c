package bulwark.filter.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The buckets of one {@code scope: cluster} limit, in Redis, shared by every gateway that uses the
 * same Redis. A key is {@code bulwark:rl:NAME:CAPACITY/REFILL/PERIODms:KEY}: a changed rate or
 * burst starts fresh buckets, as a local limit does. Calls are asynchronous only and bounded by
 * {@code cluster.timeout}.
 *
 * <p>Each key's bucket proxy is kept (bounded, expiring when idle) and built with Bucket4j's
 * batching optimization: while one command for a key is out to Redis, the next requests for that
 * key wait and go together in one command. Without it, concurrent requests on a hot key (one
 * client, or a route-keyed limit) race on Redis' compare-and-swap and retry: measured here, 0.02x
 * the throughput of a local limit instead of about 0.9x.
 */
public final class ClusterBuckets {
  private final RateLimitPolicy policy;
  private final RedisLink link;
  private final String prefix;
  private final long timeoutMillis;
  private final Cache<String, AsyncBucketProxy> proxies =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterAccess(java.time.Duration.ofMinutes(5))
          .build();

  /** The proxy manager the cached proxies belong to; a new Redis connection starts a new cache. */
  private volatile AsyncProxyManager<byte[]> proxiesOf;

  public ClusterBuckets(RateLimitPolicy policy, RedisLink link) {
    this.policy = policy;
    this.link = link;
    this.prefix =
        "bulwark:rl:"
            + policy.name()
            + ":"
            + policy.capacity()
            + "/"
            + policy.refill()
            + "/"
            + policy.period().toMillis()
            + "ms:";
    this.timeoutMillis = Math.max(1, link.config().timeout().toMillis());
  }

  /**
   * Takes one token from the bucket of {@code key} in Redis. The returned future completes on
   * {@code context} (the request's event loop), failed when Redis failed or did not answer in time.
   */
  public Future<ConsumptionProbe> tryConsume(String key, Context context) {
    AsyncProxyManager<byte[]> pm = link.buckets();
    if (pm == null)
      return Future.failedFuture(new IllegalStateException("no connection to Redis yet"));
    CompletableFuture<ConsumptionProbe> cf;
    try {
      if (pm != proxiesOf) {
        proxies.invalidateAll();
        proxiesOf = pm;
      }
      AsyncBucketProxy bucket =
          proxies.get(
              key,
              k ->
                  pm.builder()
                      .withOptimization(Optimizations.batching())
                      .build(
                          (prefix + k).getBytes(StandardCharsets.UTF_8),
                          policy.bucketConfiguration()));
      cf = bucket.tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Future<ConsumptionProbe> f =
        context == null ? Future.fromCompletionStage(cf) : Future.fromCompletionStage(cf, context);
    return f.timeout(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  public RedisLink link() {
    return link;
  }

  public RateLimitPolicy policy() {
    return policy;
  }
}
