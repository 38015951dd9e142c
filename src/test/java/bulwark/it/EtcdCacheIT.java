package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.fleet.EtcdClient;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * configSource.etcd.cacheFile: every config published from etcd is written to the cache file, a
 * gateway started while etcd is down serves the cached one (and readiness says so), and once etcd
 * answers again it is read from etcd and watched as usual.
 */
class EtcdCacheIT {
  private static final String P = "/gw";

  @Test
  void aGatewayStartedWhileEtcdIsDownServesTheCacheFile(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache").resolve("routing.yaml");
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      String yaml = TestSupport.head() + etcd.configSourceYaml(P, cache);
      try (RunningGateway gw = RunningGateway.start(yaml)) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(configDetails(gw).getString("source")).isEqualTo("etcd");
        assertThat(configDetails(gw).getBoolean("fromCache")).isFalse();
        // a change through the watch is written too
        done(kv.put(P + "/routes/second", "{match: {path: /second/**}, upstream: svc}"));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> Files.exists(cache) && Files.readString(cache).contains("/second/**"));
      }
      String cached = Files.readString(cache);
      assertThat(cached).startsWith("# revision: ").contains("/api/**").contains(a.url());
      try (var files = Files.list(cache.getParent())) {
        assertThat(files).containsExactly(cache); // no temp file left behind
      }

      etcd.stop(0);
      try (RunningGateway gw = RunningGateway.start(yaml)) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(200);
        JsonObject details = configDetails(gw);
        assertThat(details.getString("source")).isEqualTo("cache");
        assertThat(details.getBoolean("fromCache")).isTrue();

        etcd.restart(0);
        done(kv.put(P + "/routes/later", "{match: {path: /later/**}, upstream: svc}"));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/later/one") == 200);
        assertThat(configDetails(gw).getString("source")).isEqualTo("etcd");
        assertThat(configDetails(gw).getBoolean("fromCache")).isFalse();
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> Files.readString(cache).contains("/later/**"));
      }
    }
  }

  private static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get();
  }

  private static int status(RunningGateway gw, String path) throws Exception {
    return TestSupport.get(gw.url(path)).statusCode();
  }

  private static JsonObject configDetails(RunningGateway gw) throws Exception {
    return new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body())
        .getJsonObject("components")
        .getJsonObject("config")
        .getJsonObject("details");
  }
}
