package bulwark.filter.ratelimit;

import bulwark.config.ClusterConfig;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** One Redis server ({@code cluster.redis}), through Lettuce's {@link RedisClient}. */
final class SingleRedisStore implements RedisStore {
  private final ClusterConfig config;
  private final RedisURI uri;
  private final RedisClient client;
  private volatile StatefulRedisConnection<byte[], byte[]> connection;

  SingleRedisStore(ClusterConfig config, ClientResources resources, Duration connectTimeout) {
    this.config = config;
    this.uri = RedisURI.create(config.redis());
    uri.setTimeout(config.timeout());
    this.client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
            .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
            .build());
  }

  @Override
  public AbstractRedisClient client() {
    return client;
  }

  @Override
  public String address() {
    return uri.getHost() + ":" + uri.getPort();
  }

  @Override
  public CompletableFuture<AsyncProxyManager<byte[]>> connect() {
    return client
        .connectAsync(ByteArrayCodec.INSTANCE, uri)
        .toCompletableFuture()
        .thenApply(
            conn -> {
              connection = conn;
              return RedisLink.bucketStore(Bucket4jLettuce.casBasedBuilder(conn), config);
            });
  }

  @Override
  public CompletableFuture<Void> closeConnection() {
    StatefulRedisConnection<byte[], byte[]> c = connection;
    return c == null ? CompletableFuture.completedFuture(null) : c.closeAsync();
  }
}
