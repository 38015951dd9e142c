package bulwark.filter.ratelimit;

import bulwark.config.ClusterConfig;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Redis Cluster ({@code cluster.redisCluster}), through Lettuce's {@link RedisClusterClient}.
 * Each bucket is one key, so each Bucket4j command goes to the master that owns the key's slot;
 * Lettuce follows MOVED and ASK redirects. The topology is refreshed every {@link #REFRESH} and at
 * once (at most every {@link #ADAPTIVE_TIMEOUT}) on a redirect, a lost node or an uncovered slot,
 * so a failover or a resharding is followed.
 *
 * <p>Connection events do not tell the health of a cluster (a topology refresh opens and closes
 * connections of its own; one master down leaves the others serving), so {@link #probe} asks every
 * master that owns slots instead.
 */
final class ClusterRedisStore implements RedisStore {
  static final Duration REFRESH = Duration.ofSeconds(10);
  static final Duration ADAPTIVE_TIMEOUT = Duration.ofSeconds(1);

  private final ClusterConfig config;
  private final RedisClusterClient client;
  private final String address;
  private final Duration probeTimeout;
  private volatile StatefulRedisClusterConnection<byte[], byte[]> connection;

  ClusterRedisStore(ClusterConfig config, ClientResources resources, Duration connectTimeout) {
    this.config = config;
    List<RedisURI> seeds = new ArrayList<>();
    for (String s : config.redisCluster()) {
      RedisURI u = RedisURI.create(s);
      u.setTimeout(config.timeout());
      seeds.add(u);
    }
    this.address =
        seeds.stream().map(u -> u.getHost() + ":" + u.getPort()).collect(Collectors.joining(","));
    this.probeTimeout = connectTimeout;
    this.client = RedisClusterClient.create(resources, seeds);
    client.setOptions(
        ClusterClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
            .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
            .topologyRefreshOptions(
                ClusterTopologyRefreshOptions.builder()
                    .enablePeriodicRefresh(REFRESH)
                    .enableAllAdaptiveRefreshTriggers()
                    .adaptiveRefreshTriggersTimeout(ADAPTIVE_TIMEOUT)
                    .refreshTriggersReconnectAttempts(3)
                    .build())
            .build());
  }

  @Override
  public AbstractRedisClient client() {
    return client;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public CompletableFuture<AsyncProxyManager<byte[]>> connect() {
    return client
        .connectAsync(ByteArrayCodec.INSTANCE)
        .thenApply(
            conn -> {
              connection = conn;
              return RedisLink.bucketStore(Bucket4jLettuce.casBasedBuilder(conn), config);
            });
  }

  /**
   * PINGs every master that owns slots, as the client currently knows the topology. Completes
   * normally when all answer; fails naming the first node that did not.
   */
  CompletableFuture<Void> probe() {
    StatefulRedisClusterConnection<byte[], byte[]> c = connection;
    if (c == null)
      return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
    List<CompletableFuture<Void>> pings = new ArrayList<>();
    for (RedisClusterNode n : c.getPartitions()) {
      if (!n.is(RedisClusterNode.NodeFlag.UPSTREAM) || n.getSlots().isEmpty()) continue;
      String node = n.getUri().getHost() + ":" + n.getUri().getPort();
      pings.add(
          c.getConnectionAsync(n.getNodeId())
              .thenCompose(nc -> nc.async().ping())
              .toCompletableFuture()
              .orTimeout(probeTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .handle(
                  (pong, err) -> {
                    if (err != null) throw new NodeDownException(node, err);
                    return null;
                  }));
    }
    if (pings.isEmpty())
      return CompletableFuture.failedFuture(
          new IllegalStateException("no master with slots in the cluster topology"));
    return CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new));
  }

  @Override
  public CompletableFuture<Void> closeConnection() {
    StatefulRedisClusterConnection<byte[], byte[]> c = connection;
    return c == null ? CompletableFuture.completedFuture(null) : c.closeAsync();
  }

  /** A master that did not answer the probe; its message names it. */
  static final class NodeDownException extends RuntimeException {
    NodeDownException(String node, Throwable cause) {
      super(
          "master " + node + " does not answer: " + RedisLink.rootMessage(cause),
          null,
          false,
          false);
    }
  }
}
