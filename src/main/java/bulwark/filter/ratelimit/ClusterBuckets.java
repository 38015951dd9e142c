package bulwark.filter.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
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
 */
public final class ClusterBuckets {
  private final RateLimitPolicy policy;
  private final RedisLink link;
  private final String prefix;
  private final long timeoutMillis;

  public ClusterBuckets(RateLimitPolicy policy, RedisLink link) {
    this.policy = policy;
    this.link = link;
    this.prefix = "bulwark:rl:" + policy.name() + ":" + policy.capacity() + "/" + policy.refill() + "/" + policy.period().toMillis() + "ms:";
    this.timeoutMillis = Math.max(1, link.config().timeout().toMillis());
  }

  /**
   * Takes one token from the bucket of {@code key} in Redis. The returned future completes on
   * {@code context} (the request's event loop), failed when Redis failed or did not answer in time.
   */
  public Future<ConsumptionProbe> tryConsume(String key, Context context) {
    AsyncProxyManager<byte[]> pm = link.buckets();
    if (pm == null) return Future.failedFuture(new IllegalStateException("no connection to Redis yet"));
    CompletableFuture<ConsumptionProbe> cf;
    try {
      cf = pm.builder().build((prefix + key).getBytes(StandardCharsets.UTF_8), policy.bucketConfiguration()).tryConsumeAndReturnRemaining(1);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Future<ConsumptionProbe> f = context == null ? Future.fromCompletionStage(cf) : Future.fromCompletionStage(cf, context);
    return f.timeout(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  public RedisLink link() {
    return link;
  }

  public RateLimitPolicy policy() {
    return policy;
  }
}
