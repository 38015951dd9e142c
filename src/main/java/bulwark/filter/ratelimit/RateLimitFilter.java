package bulwark.filter.ratelimit;

import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.filter.Key;
import bulwark.filter.ratelimit.RateLimitHeaders.Verdict;
import io.github.bucket4j.ConsumptionProbe;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;

/**
 * The {@code rateLimit} middleware: one token per request from the bucket of the request's key.
 * When the bucket is empty the request is answered 429 problem+json with {@code Retry-After},
 * {@code RateLimit-Policy} and {@code RateLimit}; otherwise it goes on, and its response carries
 * the two RateLimit fields. Several of these filters on one route stack: each takes its own token,
 * and the fields describe the limit with the fewest tokens left (on a refusal: the one that
 * refused).
 *
 * <p>Shared by every event loop: its state is in the bucket stores, which are thread-safe.
 */
public final class RateLimitFilter implements Filter {
  /** The limit the RateLimit fields of this request's response describe. */
  private static final Key<Verdict> SHOWN = Key.of("rateLimit.shown");

  private final RateLimitPolicy policy;
  private final RateLimitKey key;
  private final LocalBuckets local;
  private final ClusterBuckets cluster;
  private final boolean failOpen;

  /** Where remediation's tightenRateLimit puts a scaled-down limit for this middleware, or null. */
  private RateLimitRegistry tightening;

  /**
   * Allowed/refused counts of this middleware's name; the registry sets it before the filter is
   * published.
   */
  RateLimitCounts counts = new RateLimitCounts();

  private RateLimitFilter(
      RateLimitPolicy policy,
      RateLimitKey key,
      LocalBuckets local,
      ClusterBuckets cluster,
      boolean failOpen) {
    this.policy = policy;
    this.key = key;
    this.local = local;
    this.cluster = cluster;
    this.failOpen = failOpen;
  }

  public static RateLimitFilter local(RateLimitKey key, LocalBuckets buckets) {
    return new RateLimitFilter(buckets.policy(), key, buckets, null, true);
  }

  public static RateLimitFilter cluster(
      RateLimitKey key, ClusterBuckets buckets, boolean failOpen) {
    return new RateLimitFilter(buckets.policy(), key, null, buckets, failOpen);
  }

  /**
   * Consults {@code registry} for a tightened limit on every request (one read of an empty map when
   * none).
   */
  RateLimitFilter tightenedBy(RateLimitRegistry registry) {
    this.tightening = registry;
    return this;
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    String k = key.of(ex);
    RateLimitRegistry.Tightened t = tightening == null ? null : tightening.tightened(policy.name());
    if (t != null) {
      // tightened: the scaled local limit decides; a cluster limit is still asked when it allows
      ConsumptionProbe p = t.buckets().tryConsume(k);
      if (local != null || !p.isConsumed()) return decide(ex, next, p, t.buckets().policy());
    }
    if (local != null) return decide(ex, next, local.tryConsume(k), policy);
    Context context = Vertx.currentContext();
    return cluster
        .tryConsume(k, context)
        .transform(
            ar -> {
              // the client may have left while Redis answered: the exchange is already over
              if (ex.answered()) return Future.succeededFuture();
              RedisLink link = cluster.link();
              if (ar.succeeded()) {
                link.succeeded();
                return decide(ex, next, ar.result(), policy);
              }
              link.failed(ar.cause(), failOpen);
              if (failOpen) return next.next(ex);
              ex.response().headers().set(RateLimitHeaders.RETRY_AFTER, "1");
              ex.reject(
                  503,
                  "Service Unavailable",
                  "the rate limit '"
                      + policy.name()
                      + "' cannot be checked because its store (Redis) is unavailable");
              return Future.succeededFuture();
            });
  }

  private Future<Void> decide(
      Exchange ex, Chain next, ConsumptionProbe probe, RateLimitPolicy policy) {
    if (probe.isConsumed()) {
      counts.allowed();
      Verdict v = new Verdict(policy, probe.getRemainingTokens(), probe.getNanosToWaitForReset());
      Verdict shown = ex.get(SHOWN);
      if (shown == null) {
        ex.put(SHOWN, v);
        ex.onResponseHeaders(h -> RateLimitHeaders.apply(h, ex.get(SHOWN)));
      } else if (v.remaining() < shown.remaining()) {
        ex.put(SHOWN, v);
      }
      return next.next(ex);
    }
    if (ex.answered()) return Future.succeededFuture();
    counts.rejected();
    long retry = RateLimitHeaders.retryAfter(probe.getNanosToWaitForRefill());
    MultiMap h = ex.response().headers();
    h.set(RateLimitHeaders.RETRY_AFTER, Long.toString(retry));
    RateLimitHeaders.apply(h, new Verdict(policy, 0, probe.getNanosToWaitForReset()));
    ex.reject(
        429,
        "Too Many Requests",
        "the rate limit '"
            + policy.name()
            + "' ("
            + policy.capacity()
            + " requests, "
            + policy.refill()
            + " more per "
            + period(policy)
            + ", per "
            + key.spec()
            + ") is used up; retry in "
            + retry
            + " s");
    return Future.succeededFuture();
  }

  private static String period(RateLimitPolicy policy) {
    long s = policy.period().toSeconds();
    return s == 1 ? "second" : s == 60 ? "minute" : s == 3600 ? "hour" : s + " s";
  }

  public RateLimitPolicy policy() {
    return policy;
  }
}
