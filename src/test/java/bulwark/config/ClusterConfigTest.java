package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster section: one Redis (redis) or a Redis Cluster (redisCluster). */
class ClusterConfigTest {
  @Test
  void aRedisClusterIsAListOfSeedUris() throws Exception {
    ClusterConfig c =
        load("""
            cluster:
              redisCluster: ["redis://127.0.0.1:7001", "rediss://:pw@10.0.0.2:7002"]
              timeout: 250ms
            """
                + USERS)
            .cluster();
    assertThat(c.redis()).isNull();
    assertThat(c.isRedisCluster()).isTrue();
    assertThat(c.redisCluster())
        .containsExactly("redis://127.0.0.1:7001", "rediss://:pw@10.0.0.2:7002");
    assertThat(c.timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.toString()).doesNotContain("pw").contains("rediss://****@10.0.0.2:7002");
  }

  @Test
  void oneRedisKeepsItsMeaning() throws Exception {
    ClusterConfig c = load("cluster:\n  redis: \"redis://127.0.0.1:6379/2\"\n" + USERS).cluster();
    assertThat(c.redis()).isEqualTo("redis://127.0.0.1:6379/2");
    assertThat(c.isRedisCluster()).isFalse();
    assertThat(c.redisCluster()).isEmpty();
  }

  @Test
  void everyMistakeIsReportedWithItsPathAndNoPassword() {
    List<String> errors =
        errors(
            """
            cluster:
              redis: "redis://127.0.0.1:6379"
              redisCluster:
                - "redis://127.0.0.1:7001"
                - "http://:hunter2@127.0.0.1:7002"
                - "redis://:hunter2@127.0.0.1:7003/4"
                - "not a uri"
                - ""
              timeout: 0s
            """
                + USERS);
    assertThat(errors)
        .containsExactly(
            "cluster: set one of redis (one Redis) and redisCluster (a Redis Cluster), not both",
            "cluster.redisCluster[1]: 'http://****@127.0.0.1:7002' must look like redis://host:port",
            "cluster.redisCluster[2]: 'redis://****@127.0.0.1:7003/4': a Redis Cluster has only database 0; remove the path",
            "cluster.redisCluster[3]: 'not a uri' is not a URI",
            "cluster.redisCluster[4]: empty: expected redis://host:port",
            "cluster.timeout: must be above 0");
    assertThat(String.join("\n", errors)).doesNotContain("hunter2");
  }

  @Test
  void neitherRedisNorRedisClusterIsAnError() {
    assertThat(errors("cluster:\n  timeout: 1s\n" + USERS))
        .containsExactly("cluster: needs redis (one Redis) or redisCluster (a Redis Cluster)");
  }

  @Test
  void aPasswordInABadRedisUriIsNotEchoed() {
    assertThat(errors("cluster:\n  redis: \"http://:hunter2@127.0.0.1:6379\"\n" + USERS))
        .containsExactly(
            "cluster.redis: 'http://****@127.0.0.1:6379' must look like redis://host:port");
  }
}
