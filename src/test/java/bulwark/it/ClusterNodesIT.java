package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.fleet.EtcdClient;
import bulwark.fleet.KeyValue;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every gateway in etcd mode registers under {@code <prefix>/nodes/<id>} with a lease, and GET
 * /cluster lists the live ones with the revision each serves: after a write every instance shows
 * the same one; an instance that shuts down drops out at once; one whose lease is lost registers
 * again. A refused change shows in /health/ready (DEGRADED, the revision it is stuck at, the key),
 * in bulwark_config_sync_total, in the audit log and in /cluster.
 */
class ClusterNodesIT {
  private static final String P = "/gw";
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** NodeRegistration.MIN_PUT_INTERVAL_MILLIS. */
  private static final long NODE_PUT_INTERVAL_MILLIS = 500;

  @Test
  void twoGatewaysListEachOtherAndFollowTheirLeases() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      String yaml = TestSupport.head() + etcd.configSourceYaml(P, null);
      try (RunningGateway one = RunningGateway.start(yaml)) {
        String idOne = cluster(one).getJsonObject("node").getString("id");
        assertThat(idOne).endsWith(":" + one.port);
        RunningGateway two = RunningGateway.start(yaml);
        // the default id is host:data port, unique per process on one host
        String idTwo = idOne.substring(0, idOne.lastIndexOf(':') + 1) + two.port;
        try {
          assertThat(cluster(two).getJsonObject("node").getString("id")).isEqualTo(idTwo);
          await().atMost(WAIT).until(() -> nodes(one).keySet().equals(Set.of(idOne, idTwo)));

          // a write: both serve its revision, and each lists both at it
          long rev =
              done(kv.put(P + "/routes/second", "{match: {path: /second/**}, upstream: svc}"));
          for (RunningGateway gw : List.of(one, two)) {
            await()
                .atMost(WAIT)
                .untilAsserted(
                    () -> {
                      Map<String, JsonObject> nodes = nodes(gw);
                      assertThat(nodes.keySet()).containsExactlyInAnyOrder(idOne, idTwo);
                      for (JsonObject n : nodes.values()) {
                        assertThat(n.getLong("revision")).as(n.encode()).isEqualTo(rev);
                        assertThat(n.getBoolean("current")).isTrue();
                        assertThat(n.getString("source")).isEqualTo("etcd");
                        assertThat(n.getString("address")).isNotNull();
                        assertThat(n.getString("startedAt")).isNotNull();
                      }
                      JsonObject c = cluster(gw);
                      assertThat(c.getLong("newestRevision")).isEqualTo(rev);
                      assertThat(c.getJsonObject("node").getLong("revision")).isEqualTo(rev);
                    });
          }
          assertThat(nodes(one).get(idOne).getBoolean("self")).isTrue();
          assertThat(nodes(one).get(idTwo).getBoolean("self")).isFalse();
          assertThat(configDetails(one).getLong("revision")).isEqualTo(rev);
          assertThat(configDetails(one).getString("lastSync")).isNotNull();
          assertThat(configDetails(one).getString("lastError")).isNull();
          assertThat(Scrape.of(one).value("bulwark_config_revision")).isEqualTo((double) rev);

          // a burst of writes: the node's key is put again at most once per 500 ms (the last value
          // wins), not once per change
          String keyOne = P + "/nodes/" + idOne;
          long version = done(kv.get(keyOne)).version();
          long t0 = System.nanoTime();
          int writes = 300;
          long last = 0;
          for (int i = 0; i < writes; i++)
            last =
                done(
                    kv.put(
                        P + "/routes/burst",
                        "{match: {path: /burst/" + i + "/**}, upstream: svc}"));
          long lastRev = last;
          await()
              .atMost(WAIT)
              .until(
                  () -> new JsonObject(done(kv.get(keyOne)).text()).getLong("revision") == lastRev);
          long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
          assertThat(done(kv.get(keyOne)).version() - version)
              .isLessThanOrEqualTo(2 + elapsedMillis / NODE_PUT_INTERVAL_MILLIS)
              .isLessThan(writes);

          // the lease is revoked behind the gateway's back: the key goes, then comes back with a
          // new lease
          KeyValue before = done(kv.get(P + "/nodes/" + idOne));
          assertThat(before.lease()).isNotZero();
          etcd.post(0, "/v3/lease/revoke", "{\"ID\":\"" + before.lease() + "\"}", null);
          await()
              .atMost(WAIT)
              .until(
                  () -> {
                    KeyValue now = done(kv.get(P + "/nodes/" + idOne));
                    return now != null && now.lease() != 0 && now.lease() != before.lease();
                  });
          assertThat(new JsonObject(done(kv.get(P + "/nodes/" + idOne)).text()).getLong("revision"))
              .isEqualTo(lastRev);
        } finally {
          two.close();
        }
        // a gateway that shuts down revokes its lease: its key is gone
        await().atMost(WAIT).until(() -> done(kv.get(P + "/nodes/" + idTwo)) == null);
        await().atMost(WAIT).until(() -> nodes(one).keySet().equals(Set.of(idOne)));

        // etcd restarts: the gateway notices, says so, and is back in sync and listed after it
        etcd.stop(0);
        await().atMost(WAIT).until(() -> configDetails(one).getString("lastError") != null);
        assertThat(configDetails(one).getString("lastError")).contains("etcd");
        assertThat(
                Scrape.of(one)
                    .value("bulwark_config_sync_total", "source", "etcd", "result", "error"))
            .isGreaterThanOrEqualTo(1);
        assertThat(TestSupport.get(one.adminUrl("/cluster")).statusCode()).isEqualTo(503);
        etcd.restart(0);
        await().atMost(WAIT).until(() -> configDetails(one).getString("lastError") == null);
        await().atMost(WAIT).until(() -> nodes(one).containsKey(idOne));
        assertThat(status(one, "/second/x")).isEqualTo(200);
      }
    }
  }

  @Test
  void aRefusedChangeShowsInReadinessMetricsAuditAndCluster(@TempDir Path dir) throws Exception {
    Path audit = dir.resolve("audit.jsonl");
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      long good = done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      String yaml =
          TestSupport.head()
              + "  audit: { file: \""
              + audit.toString().replace("\\", "/")
              + "\" }\n"
              + etcd.configSourceYaml(P, null)
              + "    nodeId: gw-a\n";
      try (RunningGateway gw = RunningGateway.start(yaml)) {
        await().atMost(WAIT).until(() -> nodes(gw).containsKey("gw-a"));
        assertThat(readiness(gw).getJsonObject("config").getString("status")).isEqualTo("UP");
        assertThat(
                Scrape.of(gw)
                    .value("bulwark_config_sync_total", "source", "etcd", "result", "refused"))
            .isZero();

        String badKey = P + "/routes/bad";
        long bad = done(kv.put(badKey, "{match: {path: /bad/**}, upstream: missing}"));
        await()
            .atMost(WAIT)
            .until(
                () -> "DEGRADED".equals(readiness(gw).getJsonObject("config").getString("status")));
        HttpResponse<String> ready = TestSupport.get(gw.adminUrl("/health/ready"));
        assertThat(ready.statusCode()).isEqualTo(200); // still ready: the old config serves
        JsonObject details = configDetails(gw);
        assertThat(details.getLong("revision")).isEqualTo(good);
        assertThat(details.getLong("refusedRevision")).isEqualTo(bad);
        assertThat(details.getString("lastError")).contains(badKey).contains("missing");
        assertThat(details.getString("nodeId")).isEqualTo("gw-a");
        assertThat(status(gw, "/api/x")).isEqualTo(200);

        Scrape m = Scrape.of(gw);
        assertThat(m.value("bulwark_config_sync_total", "source", "etcd", "result", "refused"))
            .isEqualTo(1);
        assertThat(m.value("bulwark_config_revision")).isEqualTo((double) good);

        await()
            .atMost(WAIT)
            .until(
                () ->
                    Files.exists(audit)
                        && Files.readString(audit).contains("config.reload_failed"));
        JsonObject event =
            Files.readAllLines(audit).stream()
                .map(JsonObject::new)
                .filter(e -> "config.reload_failed".equals(e.getString("event.action")))
                .findFirst()
                .orElseThrow();
        assertThat(event.getString("bulwark.config.source")).isEqualTo("etcd");
        assertThat(event.getLong("bulwark.etcd.revision")).isEqualTo(bad);
        assertThat(event.getJsonArray("bulwark.etcd.keys")).containsExactly(badKey);
        assertThat(event.getJsonArray("bulwark.config.errors").encode()).contains(badKey);

        JsonObject self = cluster(gw).getJsonObject("node");
        assertThat(self.getLong("revision")).isEqualTo(good);
        assertThat(self.getLong("refusedRevision")).isEqualTo(bad);
        assertThat(self.getString("lastError")).contains(badKey);
        // the node's key says so too, for the other gateways' /cluster
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  JsonObject n = nodes(gw).get("gw-a");
                  assertThat(n.getLong("refusedRevision")).isEqualTo(bad);
                  assertThat(n.getString("lastError")).contains(badKey);
                });

        // the bad key is deleted: in sync again at the delete's revision
        long fixed = done(kv.delete(badKey));
        await()
            .atMost(WAIT)
            .until(() -> "UP".equals(readiness(gw).getJsonObject("config").getString("status")));
        assertThat(configDetails(gw).getLong("revision")).isEqualTo(fixed);
        assertThat(configDetails(gw).getString("lastError")).isNull();
        assertThat(
                Scrape.of(gw)
                    .value("bulwark_config_sync_total", "source", "etcd", "result", "applied"))
            .isGreaterThanOrEqualTo(2); // the read at start and the delete
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> assertThat(nodes(gw).get("gw-a").getLong("revision")).isEqualTo(fixed));
      }
    }
  }

  @Test
  void inFileModeTheClusterIsThisGateway() throws Exception {
    try (TestSupport.Upstream a = new TestSupport.Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + "upstreams: { svc: { targets: [ { url: \""
                    + a.url()
                    + "\" } ] } }\nroutes: [ { name: main, match: { path: /api/** }, upstream: svc } ]\n")) {
      JsonObject c = cluster(gw);
      assertThat(c.getString("source")).isEqualTo("file");
      assertThat(c.getJsonArray("nodes")).hasSize(1);
      assertThat(c.getJsonObject("node").getBoolean("self")).isTrue();
      JsonObject details = configDetails(gw);
      assertThat(details.getString("source")).isEqualTo("file");
      assertThat(details.getValue("revision")).isNull();
      assertThat(details.getString("lastSync")).isNotNull();
    }
  }

  // --- helpers

  private static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get();
  }

  private static int status(RunningGateway gw, String path) throws Exception {
    return TestSupport.get(gw.url(path)).statusCode();
  }

  private static JsonObject cluster(RunningGateway gw) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl("/cluster"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** GET /cluster's nodes by id. */
  private static Map<String, JsonObject> nodes(RunningGateway gw) throws Exception {
    JsonArray a = cluster(gw).getJsonArray("nodes");
    return a.stream()
        .map(JsonObject.class::cast)
        .collect(Collectors.toMap(n -> n.getString("id"), Function.identity()));
  }

  private static JsonObject readiness(RunningGateway gw) throws Exception {
    return new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body())
        .getJsonObject("components");
  }

  private static JsonObject configDetails(RunningGateway gw) throws Exception {
    return readiness(gw).getJsonObject("config").getJsonObject("details");
  }
}
