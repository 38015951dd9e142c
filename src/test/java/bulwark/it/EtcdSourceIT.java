package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.fleet.EtcdClient;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose routing config is in etcd (configSource.type: etcd) serves what etcd holds at
 * start and follows every change through one watch; an invalid change is refused as a bad reload
 * is: the old routes keep serving and readiness reports the failure, until etcd is valid again.
 */
class EtcdSourceIT {
  private static final String P = "/gw";

  @Test
  void routesFollowEtcdAndAnInvalidChangeKeepsTheOldConfig() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      // a key outside the prefix is not config
      done(kv.put("/other/routes/x", "{match: {path: /x/**}, upstream: nope}"));
      try (RunningGateway gw =
          RunningGateway.start(TestSupport.head() + etcd.configSourceYaml(P, null))) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(404);

        done(kv.put(P + "/routes/second", "{match: {path: /second/**}, upstream: svc}"));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/second/one") == 200);
        long generation = gw.gateway.generation();

        // an unknown upstream: refused, the previous config keeps serving
        done(kv.put(P + "/routes/bad", "{match: {path: /bad/**}, upstream: missing}"));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> configDetails(gw).getLong("reloadsFailed") == 1);
        JsonObject failed = configDetails(gw);
        assertThat(failed.getString("lastReloadError"))
            .contains(P + "/routes/bad")
            .contains("missing");
        assertThat(gw.gateway.generation()).isEqualTo(generation);
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(200);
        assertThat(status(gw, "/bad/one")).isEqualTo(404);

        // deleting it makes etcd valid again: the failure is cleared, nothing lost
        long ok = failed.getLong("reloadsSucceeded");
        done(kv.delete(P + "/routes/bad"));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> configDetails(gw).getString("lastReloadError") == null);
        JsonObject cleared = configDetails(gw);
        assertThat(cleared.getLong("reloadsSucceeded")).isGreaterThan(ok);
        assertThat(cleared.getLong("reloadsFailed")).isEqualTo(1);
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(200);

        // a route removed from etcd stops answering
        done(kv.delete(P + "/routes/second"));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/second/one") == 404);
        assertThat(status(gw, "/api/one")).isEqualTo(200);
      }
    }
  }

  @Test
  void theWatchReconnectsAfterEtcdRestarts() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      try (RunningGateway gw =
          RunningGateway.start(TestSupport.head() + etcd.configSourceYaml(P, null))) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        etcd.stop(0);
        // etcd down: the gateway keeps serving what it has
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        etcd.restart(0);
        done(kv.put(P + "/routes/later", "{match: {path: /later/**}, upstream: svc}"));
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/later/one") == 200);
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        assertThat(configDetails(gw).getLong("reloadsFailed")).isZero();
      }
    }
  }

  /**
   * The gateway reaches etcd through a TCP proxy: with the proxy cut, a route is put and the
   * history compacted past the gateway's revision, so its new watch is told "compacted" and must
   * read everything again to see the route.
   */
  @Test
  void aCompactedWatchReadsEverythingAgain() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P));
        TcpProxy proxy = new TcpProxy(URI.create(etcd.endpoint(0)).getPort())) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      proxy.open();
      String source =
          """
          configSource:
            type: etcd
            etcd:
              endpoints: ["http://127.0.0.1:%d"]
              prefix: %s
              dialTimeout: 1s
          """
              .formatted(proxy.port, P);
      try (RunningGateway gw = RunningGateway.start(TestSupport.head() + source)) {
        assertThat(status(gw, "/api/one")).isEqualTo(200);
        proxy.cut();
        done(kv.put(P + "/routes/later", "{match: {path: /later/**}, upstream: svc}"));
        long rev = done(kv.put("/other/key", "x"));
        done(kv.compact(rev));
        assertThat(status(gw, "/later/one")).isEqualTo(404);
        proxy.open();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/later/one") == 200);
        assertThat(status(gw, "/api/one")).isEqualTo(200);
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
