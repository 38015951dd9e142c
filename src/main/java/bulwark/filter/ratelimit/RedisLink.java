package bulwark.filter.ratelimit;

import bulwark.config.ClusterConfig;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one Redis connection for {@code scope: cluster} rate limits (Lettuce, asynchronous
 * only), and what is known of Redis's health. Created by the gateway when the config has a {@code
 * cluster} section and kept across reloads while {@code cluster} is unchanged. The connection goes
 * to one Redis ({@code cluster.redis}, {@link SingleRedisStore}) or to a Redis Cluster ({@code
 * cluster.redisCluster}, {@link ClusterRedisStore}).
 *
 * <p>Commands are refused at once while the connection is down (no queue that would replay stale
 * requests later) and time out after {@code cluster.timeout}. Lettuce reconnects in the background,
 * 100 ms to 2 s apart. Health turns DOWN on the first failed call or lost connection, with one
 * WARN, and UP on the first success or reconnection, with one INFO. For a Redis Cluster, where one
 * master may be down while the others serve, every master that owns slots is asked for CLUSTER INFO
 * each second instead: UP when all answer cluster_state:ok. The URIs' passwords are never logged or
 * shown: only host:port.
 */
public final class RedisLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
  private static final long PROBE_EVERY_MILLIS = 1000;

  private final ClusterConfig config;
  private final RedisStore store;
  private final String address;
  private final List<String> secrets;
  private final ClientResources resources;
  private final AtomicBoolean up = new AtomicBoolean(true);
  private final LongAdder failures = new LongAdder();
  private final LongAdder allowedWhileDown = new LongAdder();
  private final LongAdder refusedWhileDown = new LongAdder();
  private volatile AsyncProxyManager<byte[]> buckets;
  private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
  private final Duration connectTimeout;
  private volatile boolean closed;
  private volatile Instant downSince;
  private volatile String lastError;

  public RedisLink(ClusterConfig config) {
    this.config = config;
    Duration timeout = config.timeout();
    this.connectTimeout =
        timeout.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : timeout;
    this.resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
            .build();
    List<String> uris = config.isRedisCluster() ? config.redisCluster() : List.of(config.redis());
    this.secrets = uris.stream().map(RedisLink::userInfo).filter(Objects::nonNull).toList();
    this.store =
        config.isRedisCluster()
            ? new ClusterRedisStore(config, resources, connectTimeout)
            : new SingleRedisStore(config, resources, connectTimeout);
    this.address = store.address();
    if (store instanceof SingleRedisStore) {
      store
          .client()
          .addListener(
              new RedisConnectionStateListener() {
                @Override
                public void onRedisConnected(
                    RedisChannelHandler<?, ?> handler, SocketAddress remote) {
                  succeeded();
                }

                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                  if (!closed) markDown("the connection was lost");
                }
              });
    }
    connect();
  }

  /** The Bucket4j store on a connection: keys expire, calls are bounded by cluster.timeout. */
  static AsyncProxyManager<byte[]> bucketStore(
      Bucket4jLettuce.LettuceBasedProxyManagerBuilder<byte[]> builder, ClusterConfig config) {
    return builder
        // a key is removed once its bucket would be full again (plus a margin): Redis memory
        // stays bounded
        .expirationAfterWrite(
            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                Duration.ofSeconds(10)))
        .requestTimeout(config.timeout())
        .build()
        .asAsync();
  }

  /**
   * Connects in the background; until it succeeds, calls fail (and are counted) and it is retried
   * every second.
   */
  private void connect() {
    if (closed) return;
    store
        .connect()
        .whenComplete(
            (pm, err) -> {
              if (err != null) {
                markDown(describe(err));
                firstAttempt.complete(null);
                if (!closed)
                  resources.eventExecutorGroup().schedule(this::connect, 1, TimeUnit.SECONDS);
                return;
              }
              if (closed) {
                store.closeConnection();
                firstAttempt.complete(null);
                return;
              }
              buckets = pm;
              if (store instanceof ClusterRedisStore cluster) probe(cluster);
              else succeeded();
              firstAttempt.complete(null);
            });
  }

  /**
   * Every second, for a Redis Cluster: health from CLUSTER INFO of every master (see the class
   * doc).
   */
  private void probe(ClusterRedisStore cluster) {
    if (closed) return;
    cluster
        .probe()
        .whenComplete(
            (v, err) -> {
              if (err == null) markUp();
              else markDown(describe(err));
              if (!closed)
                resources
                    .eventExecutorGroup()
                    .schedule(() -> probe(cluster), PROBE_EVERY_MILLIS, TimeUnit.MILLISECONDS);
            });
  }

  /**
   * (at least 1 s, else cluster.timeout; three times that for a Redis Cluster). For the gateway,
   * off the event loops, so that it starts (or reloads) with the connection made when Redis is up,
   * and does not wait long when it is not.
   */
  public void awaitFirstAttempt() {
    try {
      // a Redis Cluster takes three steps, each bounded by the connect timeout: load the topology,
      // connect, make the connections to the masters
      int steps = store instanceof ClusterRedisStore ? 3 : 1;
      firstAttempt.get(steps * connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // go on: calls fail (open or closed) until the background attempts succeed
    }
  }

  /** The Bucket4j proxy manager, or null while the first connection has not been made. */
  public AsyncProxyManager<byte[]> buckets() {
    return buckets;
  }

  public ClusterConfig config() {
    return config;
  }

  /** host:port, never the password. */
  public String address() {
    return address;
  }

  public boolean up() {
    return up.get();
  }

  /** Calls that failed or timed out since the start. */
  public long failures() {
    return failures.sum();
  }

  public long allowedWhileDown() {
    return allowedWhileDown.sum();
  }

  public long refusedWhileDown() {
    return refusedWhileDown.sum();
  }

  public Instant downSince() {
    return downSince;
  }

  public String lastError() {
    return lastError;
  }

  /**
   * A call succeeded (or the connection came back). For a Redis Cluster only the probe turns the
   * health UP: one master answering says nothing of the others.
   */
  void succeeded() {
    if (store instanceof SingleRedisStore) markUp();
  }

  private void markUp() {
    if (up.get() || closed) return;
    if (up.compareAndSet(false, true)) {
      Instant since = downSince;
      downSince = null;
      LOG.info(
          "{} {} is reachable again{}; cluster rate limits are enforced again",
          kind(),
          address,
          since == null
              ? ""
              : " after " + Duration.between(since, Instant.now()).toMillis() + " ms");
    }
  }

  /** A call failed or timed out; {@code open} tells what the limit did about it. */
  void failed(Throwable cause, boolean open) {
    failures.increment();
    if (open) allowedWhileDown.increment();
    else refusedWhileDown.increment();
    markDown(describe(cause));
  }

  private void markDown(String why) {
    lastError = why;
    if (closed) return;
    if (up.compareAndSet(true, false)) {
      downSince = Instant.now();
      LOG.warn(
          "{} {} is unavailable ({}): cluster rate limits now let requests through (onRedisFailure: open) "
              + "or refuse them with 503 (onRedisFailure: closed) until it is back",
          kind(),
          address,
          why);
    }
  }

  /** The user-info part of the URI (it holds the password), or null. */
  private static String userInfo(String redisUri) {
    try {
      String ui = URI.create(redisUri).getRawUserInfo();
      return ui == null || ui.isEmpty() ? null : ui;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** "Redis" or "Redis Cluster", for the logs. */
  private String kind() {
    return store instanceof ClusterRedisStore ? "Redis Cluster" : "Redis";
  }

  /** "single" (cluster.redis) or "cluster" (cluster.redisCluster). */
  public String mode() {
    return store instanceof ClusterRedisStore ? "cluster" : "single";
  }

  /**
   * A failure in words: class and message, then the message of its innermost cause when that says
   * more (Lettuce wraps "Connection refused" in "Unable to connect to ...").
   */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    Throwable root = t;
    for (int i = 0; i < 10 && root.getCause() != null && root.getCause() != root; i++)
      root = root.getCause();
    if (root != t && root.getMessage() != null && !m.contains(root.getMessage()))
      m += " (" + root.getMessage() + ")";
    return m;
  }

  /** A failure in words, with the passwords (if any) masked. */
  String describe(Throwable e) {
    String m = rootMessage(e);
    for (String secret : secrets) {
      m = m.replace(secret, "****");
      int colon = secret.indexOf(':');
      if (colon >= 0 && colon < secret.length() - 1)
        m = m.replace(secret.substring(colon + 1), "****");
    }
    return m.length() > 300 ? m.substring(0, 300) : m;
  }

  /** Closes the connection and the client's threads; the future completes when they are closed. */
  @Override
  public void close() {
    closeAsync();
  }

  public CompletableFuture<Void> closeAsync() {
    closed = true;
    return store
        .closeConnection()
        .handle((v, e) -> store.client().shutdownAsync(0, 2, TimeUnit.SECONDS))
        .thenCompose(x -> x)
        .handle(
            (v, e) -> {
              CompletableFuture<Void> done = new CompletableFuture<>();
              resources.shutdown(0, 2, TimeUnit.SECONDS).addListener(x -> done.complete(null));
              return done;
            })
        .thenCompose(x -> x);
  }
}
