package bulwark.config;

import java.time.Duration;
import java.util.List;

/** State shared by several gateway instances. */
public record ClusterConfig(
    @Doc(
            value =
                "Redis URI (redis://host:port[/db], or rediss:// for TLS) of one Redis for cluster-scope rate limits. A password goes in the URI (redis://:PASSWORD@host:port) and is never logged. Exactly one of redis and redisCluster.",
            dflt = "")
        String redis,
    @Doc(
            value =
                "Seed node URIs (redis://host:port or rediss://host:port) of a Redis Cluster, instead of redis. A few reachable masters or replicas are enough: the rest of the topology is discovered, refreshed every 10 s and at once on MOVED, ASK or lost nodes, so a failover or resharding is followed. The password (and user) of the first URI are used for every node. Exactly one of redis and redisCluster.",
            unit = "URI list",
            dflt = "[]")
        List<String> redisCluster,
    @Doc(
            value = "A Redis call that has not answered by then counts as a Redis failure.",
            unit = "duration",
            dflt = "100ms")
        Duration timeout) {

  public ClusterConfig {
    redisCluster = redisCluster == null ? List.of() : List.copyOf(redisCluster);
  }

  /** One Redis (redis), for code and tests written before redisCluster. */
  public ClusterConfig(String redis, Duration timeout) {
    this(redis, List.of(), timeout);
  }

  /** True when the buckets live in a Redis Cluster (redisCluster is set). */
  public boolean isRedisCluster() {
    return !redisCluster.isEmpty();
  }

  /** Never prints a password held in a URI (a record's own toString would). */
  @Override
  public String toString() {
    return "ClusterConfig[redis="
        + (redis == null ? null : withoutPassword(redis))
        + ", redisCluster="
        + redisCluster.stream().map(ClusterConfig::withoutPassword).toList()
        + ", timeout="
        + timeout
        + "]";
  }

  /**
   * The URI with its user-info part (which holds the password) replaced by {@code ****}: for logs
   * and error messages.
   */
  public static String withoutPassword(String uri) {
    if (uri == null) return null;
    int scheme = uri.indexOf("://");
    int from = scheme < 0 ? 0 : scheme + 3;
    int end = uri.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int i = uri.indexOf(c, from);
      if (i >= 0 && i < end) end = i;
    }
    int at = uri.lastIndexOf('@', end - 1);
    return at < from ? uri : uri.substring(0, from) + "****" + uri.substring(at);
  }
}
