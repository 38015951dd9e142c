package bulwark.filter.ratelimit;

import bulwark.config.BulwarkConfig;
import bulwark.config.ClusterConfig;
import bulwark.config.FailureMode;
import bulwark.config.RateLimitConfig;
import bulwark.config.RateLimitKeySpec;
import bulwark.config.RateLimitScope;
import bulwark.filter.Filter;
import io.github.bucket4j.TimeMeter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Rate-limit state that outlives one compiled route table, owned by the gateway: the local bucket
 * stores, keyed by middleware name and config, and the Redis link, keyed by the cluster section. A
 * reload that leaves a rateLimit middleware unchanged keeps its buckets (a client that used up its
 * tokens stays limited); a changed one starts with full buckets. A reload that leaves {@code
 * cluster} unchanged keeps the Redis connection.
 *
 * <p>Use: {@link #prepare} before compiling, {@link #filter} while compiling, {@link #commit} once
 * the new table is published. A compile that fails leaves the serving state alone.
 */
public final class RateLimitRegistry implements AutoCloseable {
  /** A replaced Redis link is closed after this, so requests still using it can finish. */
  private static final long RETIRE_AFTER_SECONDS = 30;

  private record LocalKey(String name, RateLimitConfig config) {}

  private final TimeMeter time;
  private final Map<LocalKey, LocalBuckets> locals = new ConcurrentHashMap<>();
  private final Map<ClusterConfig, RedisLink> links = new ConcurrentHashMap<>();

  /** Allowed and refused requests per middleware name, across reloads. */
  private final Map<String, RateLimitCounts> counts = new ConcurrentHashMap<>();

  private volatile ClusterConfig preparing;
  private volatile RedisLink redis;

  /** Limits tightened by remediation, by middleware name; replaced whole on every change. */
  private volatile Map<String, Tightened> tightened = Map.of();

  /**
   * A middleware's limit scaled down by {@code factor}, with buckets of its own (they start full).
   */
  record Tightened(double factor, RateLimitConfig config, LocalBuckets buckets) {}

  public RateLimitRegistry() {
    this(TimeMeter.SYSTEM_NANOTIME);
  }

  /** {@code time} drives the local buckets and their expiry. */
  public RateLimitRegistry(TimeMeter time) {
    this.time = time;
  }

  /**
   * Before a compile: the cluster section the new config has (null: none). A new Redis link is
   * connected here, waiting at most about the connect timeout for the first attempt, so call this
   * off the event loops; if Redis is down the link keeps trying in the background.
   */
  public void prepare(ClusterConfig cluster) {
    preparing = cluster;
    if (cluster != null) links.computeIfAbsent(cluster, RedisLink::new).awaitFirstAttempt();
  }

  /** The filter of the rateLimit middleware {@code name}. */
  public Filter filter(String name, RateLimitConfig config) {
    RateLimitKey key =
        RateLimitKey.of(config.key() == null ? RateLimitKeySpec.CLIENT_IP : config.key());
    RateLimitCounts c = counts.computeIfAbsent(name, n -> new RateLimitCounts());
    if (config.scope() == RateLimitScope.CLUSTER) {
      ClusterConfig cc = preparing;
      if (cc == null)
        throw new IllegalArgumentException(
            "middleware '"
                + name
                + "': scope cluster needs the cluster section (and a registry prepared with it)");
      RedisLink link = links.computeIfAbsent(cc, RedisLink::new);
      return counted(
          RateLimitFilter.cluster(
                  key,
                  new ClusterBuckets(RateLimitPolicy.of(name, config), link),
                  config.onRedisFailure() != FailureMode.CLOSED)
              .tightenedBy(this),
          c);
    }
    LocalBuckets b =
        locals.computeIfAbsent(
            new LocalKey(name, config),
            k -> new LocalBuckets(RateLimitPolicy.of(name, config), config.maxKeys(), time));
    return counted(RateLimitFilter.local(key, b).tightenedBy(this), c);
  }

  private static RateLimitFilter counted(RateLimitFilter f, RateLimitCounts c) {
    f.counts = c;
    return f;
  }

  /**
   * After {@code cfg} is published: forgets the buckets of middlewares it no longer has, retires a
   * replaced Redis link.
   */
  public void commit(BulwarkConfig cfg) {
    locals
        .keySet()
        .removeIf(
            k -> {
              var m = cfg.middlewares().get(k.name());
              return m == null || !Objects.equals(m.rateLimit(), k.config());
            });
    counts
        .keySet()
        .removeIf(
            n -> cfg.middlewares().get(n) == null || cfg.middlewares().get(n).rateLimit() == null);
    ClusterConfig cc = cfg.cluster();
    redis = cc == null ? null : links.get(cc);
    links
        .entrySet()
        .removeIf(
            e -> {
              if (e.getKey().equals(cc)) return false;
              RedisLink old = e.getValue();
              CompletableFuture.delayedExecutor(RETIRE_AFTER_SECONDS, TimeUnit.SECONDS)
                  .execute(old::close);
              return true;
            });
  }

  /**
   * Scales middleware {@code name}'s rate and burst by {@code factor} (0 to 1, at least one token
   * per period) until {@link #relax}. In this gateway's memory, also for a cluster-scope limit
   * (which is then asked too). Setting the same factor and config again keeps the buckets.
   */
  public synchronized void tighten(String name, double factor, RateLimitConfig config) {
    Tightened cur = tightened.get(name);
    if (cur != null && cur.factor() == factor && cur.config().equals(config)) return;
    RateLimitPolicy p = RateLimitPolicy.of(name, config);
    RateLimitPolicy scaled =
        new RateLimitPolicy(
            name,
            Math.max(1, Math.round(p.capacity() * factor)),
            Math.max(1, Math.round(p.refill() * factor)),
            p.period());
    Map<String, Tightened> m = new java.util.HashMap<>(tightened);
    m.put(name, new Tightened(factor, config, new LocalBuckets(scaled, config.maxKeys(), time)));
    tightened = Map.copyOf(m);
  }

  /** Middleware {@code name} has its configured limit again. */
  public synchronized void relax(String name) {
    if (!tightened.containsKey(name)) return;
    Map<String, Tightened> m = new java.util.HashMap<>(tightened);
    m.remove(name);
    tightened = Map.copyOf(m);
  }

  /** The tightened limit of middleware {@code name}, or null. */
  Tightened tightened(String name) {
    Map<String, Tightened> m = tightened;
    return m.isEmpty() ? null : m.get(name);
  }

  /** Allowed and refused counts of each rateLimit middleware the serving config uses, by name. */
  public Map<String, RateLimitCounts> counts() {
    return java.util.Collections.unmodifiableMap(counts);
  }

  /** The Redis link of the serving config, or null when it has no cluster section. */
  public RedisLink redis() {
    return redis;
  }

  /**
   * The local buckets of middleware {@code name} with {@code config}, if the registry holds them.
   */
  public LocalBuckets localBuckets(String name, RateLimitConfig config) {
    return locals.get(new LocalKey(name, config));
  }

  /** Closes every Redis link; waits up to 5 s. */
  @Override
  public void close() {
    // without a cluster section there is no link: RedisLink (and with it Lettuce) stays unloaded
    if (links.isEmpty() && redis == null) return;
    CompletableFuture<?>[] fs =
        links.values().stream().map(RedisLink::closeAsync).toArray(CompletableFuture[]::new);
    links.clear();
    redis = null;
    try {
      CompletableFuture.allOf(fs).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
  }
}
