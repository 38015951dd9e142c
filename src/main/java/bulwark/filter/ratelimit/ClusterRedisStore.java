package bulwark.filter.ratelimit;

import bulwark.config.ClusterConfig;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ConnectionIntent;
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
    // the async connect needs the topology first (the sync one would load it itself, blocking)
    return client
        .refreshPartitionsAsync()
        .toCompletableFuture()
        .thenCompose(v -> client.connectAsync(ByteArrayCodec.INSTANCE))
        .thenCompose(
            conn -> {
              connection = conn;
              // the connections to the masters are made now, not by the first requests (which
              // would be refused while they are made); the probe's result is the link's concern
              return probe()
                  .handle(
                      (x, e) ->
                          RedisLink.bucketStore(Bucket4jLettuce.casBasedBuilder(conn), config));
            });
  }

  /**
   * Asks every master that owns slots, as the client currently knows the topology, for {@code
   * CLUSTER INFO}. Completes normally when all answer {@code cluster_state:ok} (a master that sees
   * the cluster failed refuses every key with CLUSTERDOWN); fails naming a node that did not.
   */
  CompletableFuture<Void> probe() {
    StatefulRedisClusterConnection<byte[], byte[]> c = connection;
    if (c == null)
      return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
    List<CompletableFuture<Void>> pings = new ArrayList<>();
    for (RedisClusterNode n : c.getPartitions()) {
      if (!n.is(RedisClusterNode.NodeFlag.UPSTREAM) || n.getSlots().isEmpty()) continue;
      String host = n.getUri().getHost();
      int port = n.getUri().getPort();
      // through the very connections that Bucket4j's commands use (one per intent: its GET is a
      // read, its script a write): made here, they are ready before the first request needs them
      for (ConnectionIntent intent : ConnectionIntent.values())
        pings.add(clusterStateOk(c.getConnectionAsync(host, port, intent), host + ":" + port));
    }
    if (pings.isEmpty())
      return CompletableFuture.failedFuture(
          new IllegalStateException("no master with slots in the cluster topology"));
    return CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> clusterStateOk(
      CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection, String node) {
    return connection
        .thenCompose(nc -> nc.async().clusterInfo())
        .toCompletableFuture()
        .orTimeout(probeTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (info, err) -> {
              if (err != null)
                throw new NodeDownException(
                    "master " + node + " does not answer: " + RedisLink.rootMessage(err));
              if (!info.contains("cluster_state:ok"))
                throw new NodeDownException(
                    "master " + node + " reports the cluster down (cluster_state is not ok)");
              return null;
            });
  }

  @Override
  public CompletableFuture<Void> closeConnection() {
    StatefulRedisClusterConnection<byte[], byte[]> c = connection;
    return c == null ? CompletableFuture.completedFuture(null) : c.closeAsync();
  }

  /** A master that did not answer the probe, or not with cluster_state:ok; the message names it. */
  static final class NodeDownException extends RuntimeException {
    NodeDownException(String message) {
      super(message, null, false, false);
    }
  }
}
