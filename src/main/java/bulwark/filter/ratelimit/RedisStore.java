package bulwark.filter.ratelimit;

import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.lettuce.core.AbstractRedisClient;
import java.util.concurrent.CompletableFuture;

/**
 * How a {@link RedisLink} reaches Redis: one server ({@link SingleRedisStore}) or a Redis Cluster
 * ({@link ClusterRedisStore}). The link keeps what is common: health, counts, logs and retries.
 */
sealed interface RedisStore permits SingleRedisStore, ClusterRedisStore {
  /** The Lettuce client (its connection listeners, its shutdown). */
  AbstractRedisClient client();

  /** host:port, or the seed nodes' host:port joined by commas; never a password. */
  String address();

  /** Connects once; completes with the bucket store when connected, failed otherwise. */
  CompletableFuture<AsyncProxyManager<byte[]>> connect();

  /** Closes the connection made by {@link #connect}, if any. */
  CompletableFuture<Void> closeConnection();
}
