package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import bulwark.admin.AdminServer;
import bulwark.admin.FleetView;
import bulwark.admin.GatewayView;
import bulwark.config.AdminConfig;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.KeyValue;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.observe.Audit;
import bulwark.observe.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin config API in etcd mode against a real etcd: writes are validated as a whole before
 * they commit, served by the gateway once its watch delivers them, guarded by ETags (If-Match in
 * the etcd transaction), audited with who and the diff, and refused to read-only callers; in file
 * mode writes answer 405.
 */
class ConfigApiIT {
  private static final String P = "/gw";
  private static final String TOKEN = "admin-token-0123456789abcdef0123456789";
  private static final String READ = "read-token-0123456789abcdef01234567890";

  private static String bootstrap(EtcdCluster etcd, String admin, Path audit) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 5s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        %s
        observability:
          accessLog: { enabled: false }
        %s
        """
            .formatted(admin, audit == null ? "" : "  audit: { file: \"" + audit + "\" }")
        + etcd.configSourceYaml(P, null);
  }

  private static String tokens() {
    return "  token: " + TOKEN + "\n  readToken: " + READ;
  }

  @Test
  void writesAreServedReadBackWithTheirETagAndAudited(@TempDir Path dir) throws Exception {
    Path audit = dir.resolve("audit.jsonl");
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        RunningGateway gw = RunningGateway.start(bootstrap(etcd, tokens(), audit))) {
      var up =
          call(
              gw,
              "PUT",
              "/config/upstreams/svc",
              "{\"targets\": [{\"url\": \"" + a.url() + "\"}]}",
              TOKEN,
              "If-None-Match",
              "*");
      assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
      assertThat(up.headers().firstValue("Location")).hasValue("/config/upstreams/svc");
      // YAML works as well as JSON; the route's name may be left out
      var route =
          call(
              gw,
              "PUT",
              "/config/routes/main",
              "match: { path: /api/** }\nupstream: svc\ntimeout: 10s\n",
              TOKEN,
              "Content-Type",
              "application/yaml");
      assertThat(route.statusCode()).as(route.body()).isEqualTo(201);
      String etag = route.headers().firstValue("ETag").orElseThrow();
      assertThat(new JsonObject(route.body()).getString("name")).isEqualTo("main");

      // the gateway serves it once its watch delivers it
      await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/api/one") == 200);

      var one = call(gw, "GET", "/config/routes/main", null, READ);
      assertThat(one.statusCode()).isEqualTo(200);
      assertThat(one.headers().firstValue("ETag")).hasValue(etag);
      assertThat(new JsonObject(one.body()).getString("upstream")).isEqualTo("svc");
      var kind = new JsonObject(call(gw, "GET", "/config/routes", null, READ).body());
      assertThat(kind.getJsonObject("routes").fieldNames()).containsExactly("main");
      var all = call(gw, "GET", "/config", null, READ);
      JsonObject model = new JsonObject(all.body());
      assertThat(model.getString("source")).isEqualTo("etcd");
      assertThat(model.getLong("revision")).as(all.body()).isGreaterThanOrEqualTo(revision(etag));
      assertThat(all.headers().firstValue("ETag"))
          .hasValue("\"" + model.getLong("revision") + "\"");
      assertThat(model.getJsonObject("upstreams").fieldNames()).containsExactly("svc");
      assertThat(model.getJsonObject("routes").getJsonObject("main").getString("timeout"))
          .isEqualTo("10s");

      // an update with the ETag just read: 200, a new ETag, served after the watch
      var moved =
          call(
              gw,
              "PUT",
              "/config/routes/main",
              "{\"match\": {\"path\": \"/v2/**\"}, \"upstream\": \"svc\", \"timeout\": \"10s\"}",
              TOKEN,
              "If-Match",
              etag);
      assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
      assertThat(revision(moved.headers().firstValue("ETag").orElseThrow()))
          .isGreaterThan(revision(etag));
      await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/v2/one") == 200);
      assertThat(status(gw, "/api/one")).isEqualTo(404);

      // who wrote what, and the field-level diff
      await().atMost(Duration.ofSeconds(60)).until(() -> writes(audit).size() == 3);
      JsonObject update = writes(audit).get(2);
      assertThat(update.getJsonArray("user.roles")).containsExactly("admin");
      assertThat(update.getString("source.ip")).isEqualTo("127.0.0.1");
      assertThat(update.getString("bulwark.config.kind")).isEqualTo("routes");
      assertThat(update.getString("bulwark.config.name")).isEqualTo("main");
      assertThat(update.getString("bulwark.config.operation")).isEqualTo("update");
      assertThat(update.getJsonArray("bulwark.config.diff"))
          .containsExactly("match.path: /api/** -> /v2/**");
      assertThat(writes(audit).get(0).getString("bulwark.config.operation")).isEqualTo("create");
      assertThat(Files.readString(audit)).doesNotContain(TOKEN).doesNotContain(READ);
    }
  }

  @Test
  void anInvalidWriteAnswers400WithEveryErrorAndChangesNothing() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      // no token on a loopback listener: writes from loopback are accepted
      try (RunningGateway gw = RunningGateway.start(bootstrap(etcd, "", null))) {
        Map<String, Long> before = configKeys(kv);

        var bad =
            call(
                gw, "PUT", "/config/routes/bad", "{match: {path: /b/**}, upstream: missing}", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(errors(bad))
            .anySatisfy(
                e ->
                    assertThat(e)
                        .startsWith(P + "/routes/bad: upstream: unknown upstream 'missing'"));

        // every error at once, each with its field path
        var two =
            call(
                gw,
                "PUT",
                "/config/routes/two",
                "{match: {path: /t/**}, upstream: missing, middlewares: [nope]}",
                null);
        assertThat(errors(two))
            .anySatisfy(e -> assertThat(e).contains("/routes/two: upstream: unknown upstream"))
            .anySatisfy(
                e -> assertThat(e).contains("/routes/two: middlewares[0]: unknown middleware"));

        var renamed =
            call(
                gw,
                "PUT",
                "/config/routes/main",
                "{name: other, match: {path: /x}, upstream: svc}",
                null);
        assertThat(renamed.statusCode()).isEqualTo(400);
        assertThat(errors(renamed))
            .anySatisfy(e -> assertThat(e).contains("name: 'other' differs"));

        for (String body : new String[] {"{\"match\": {", "", "[1, 2"}) {
          var malformed = call(gw, "PUT", "/config/routes/m", body, null);
          assertThat(malformed.statusCode()).isEqualTo(400);
          assertThat(malformed.headers().firstValue("Content-Type"))
              .hasValue("application/problem+json");
          assertThat(malformed.body()).doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(errors(call(gw, "PUT", "/config/routes/m", "{\"match\": {", null)))
            .singleElement()
            .asString()
            .contains("line 1");

        var used = call(gw, "DELETE", "/config/upstreams/svc", null, null);
        assertThat(used.statusCode()).isEqualTo(409);
        assertThat(new JsonObject(used.body()).getJsonArray("usedBy"))
            .containsExactly("routes/main");
        assertThat(new JsonObject(used.body()).getString("detail")).contains("routes/main");
        assertThat(call(gw, "DELETE", "/config/routes/none", null, null).statusCode())
            .isEqualTo(404);

        // nothing was written: not a key, not the guard key (the gateway's own node key, under
        // nodes/, is not config and changes on its own)
        assertThat(configKeys(kv)).isEqualTo(before).doesNotContainKey(P + "/meta/writes");
        assertThat(done(kv.get(P + "/routes/bad"))).isNull();
        assertThat(done(kv.get(P + "/upstreams/svc"))).isNotNull();

        // in order, both deletes go through
        assertThat(call(gw, "DELETE", "/config/routes/main", null, null).statusCode())
            .isEqualTo(204);
        assertThat(call(gw, "DELETE", "/config/upstreams/svc", null, null).statusCode())
            .isEqualTo(204);
        assertThat(done(kv.get(P + "/upstreams/svc"))).isNull();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(gw, "/api/one") == 404);
      }
    }
  }

  @Test
  void ofTwoWritersWithTheSameETagOneWinsAndWritersWithoutOneAllCommit() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        TestSupport.Upstream a = new TestSupport.Upstream("a");
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      done(kv.put(P + "/upstreams/svc", "targets: [ { url: \"" + a.url() + "\" } ]"));
      done(kv.put(P + "/routes/main", "{match: {path: /api/**}, upstream: svc}"));
      try (RunningGateway gw = RunningGateway.start(bootstrap(etcd, tokens(), null))) {
        String etag =
            call(gw, "GET", "/config/routes/main", null, TOKEN)
                .headers()
                .firstValue("ETag")
                .orElseThrow();
        List<CompletableFuture<HttpResponse<String>>> both = new ArrayList<>();
        for (String path : List.of("/one/**", "/two/**"))
          both.add(
              async(
                  gw,
                  "PUT",
                  "/config/routes/main",
                  "{match: {path: \"" + path + "\"}, upstream: svc}",
                  "If-Match",
                  etag));
        List<Integer> statuses = new ArrayList<>();
        for (var f : both) statuses.add(f.get(60, TimeUnit.SECONDS).statusCode());
        Collections.sort(statuses);
        assertThat(statuses).containsExactly(200, 412);
        HttpResponse<String> lost =
            both.stream()
                .map(CompletableFuture::join)
                .filter(r -> r.statusCode() == 412)
                .findFirst()
                .orElseThrow();
        HttpResponse<String> won =
            both.stream()
                .map(CompletableFuture::join)
                .filter(r -> r.statusCode() == 200)
                .findFirst()
                .orElseThrow();
        assertThat(lost.headers().firstValue("ETag")).isEqualTo(won.headers().firstValue("ETag"));
        assertThat(lost.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        KeyValue stored = done(kv.get(P + "/routes/main"));
        assertThat("\"" + stored.modRevision() + "\"")
            .isEqualTo(won.headers().firstValue("ETag").orElseThrow());

        // a stale ETag stays stale
        var stale =
            call(
                gw,
                "PUT",
                "/config/routes/main",
                "{match: {path: /x/**}, upstream: svc}",
                TOKEN,
                "If-Match",
                etag);
        assertThat(stale.statusCode()).isEqualTo(412);
        // create-only on an existing one
        assertThat(
                call(
                        gw,
                        "PUT",
                        "/config/routes/main",
                        "{match: {path: /x/**}, upstream: svc}",
                        TOKEN,
                        "If-None-Match",
                        "*")
                    .statusCode())
            .isEqualTo(412);

        // writers without If-Match, all validated on the same revision: the guard makes each
        // one that lost read, validate and commit again
        List<CompletableFuture<HttpResponse<String>>> many = new ArrayList<>();
        for (int i = 0; i < 4; i++)
          many.add(
              async(
                  gw,
                  "PUT",
                  "/config/routes/r" + i,
                  "{match: {path: /r" + i + "/**}, upstream: svc}"));
        for (var f : many) assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        for (int i = 0; i < 4; i++) assertThat(done(kv.get(P + "/routes/r" + i))).isNotNull();
      }
    }
  }

  @Test
  void theReadTokenReadsButCannotWrite() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(1);
        RunningGateway gw = RunningGateway.start(bootstrap(etcd, tokens(), null));
        EtcdClient kv = EtcdClient.create(etcd.config(P))) {
      String body = "{targets: [{url: \"http://127.0.0.1:1\"}]}";
      var read = call(gw, "PUT", "/config/upstreams/x", body, READ);
      assertThat(read.statusCode()).isEqualTo(403);
      assertThat(read.body()).contains("readToken");
      assertThat(call(gw, "DELETE", "/config/upstreams/x", null, READ).statusCode()).isEqualTo(403);
      assertThat(call(gw, "PUT", "/config/upstreams/x", body, null).statusCode()).isEqualTo(401);
      assertThat(call(gw, "GET", "/config", null, READ).statusCode()).isEqualTo(200);
      assertThat(done(kv.get(P + "/upstreams/x"))).isNull();
      assertThat(call(gw, "PUT", "/config/upstreams/x", body, TOKEN).statusCode()).isEqualTo(201);
    }
  }

  /**
   * Without a token (possible only on a loopback listener: the config refuses anything else), a
   * write from a peer that is not loopback is refused; started directly on this host's own
   * non-loopback address to get such a peer.
   */
  @Test
  void withoutATokenAWriteFromANonLoopbackPeerIsRefused() throws Exception {
    String ip = nonLoopbackAddress();
    assumeTrue(ip != null, "this host has no non-loopback IPv4 address");
    Vertx vertx = Vertx.vertx();
    try {
      FleetView fleet = stub(FleetView.class, null);
      GatewayView view = stub(GatewayView.class, fleet);
      int port = TestSupport.freePort();
      AdminServer admin =
          new AdminServer(vertx, view, new AdminConfig(ip + ":" + port, "", "", List.of(ip)));
      admin.start().await(10, TimeUnit.SECONDS);
      var r =
          TestSupport.send(
              "PUT", "http://" + ip + ":" + port + "/config/upstreams/x", "{targets: []}");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).contains("loopback");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void inFileModeTheConfigIsReadOnlyAndWritesAnswer405() throws Exception {
    try (TestSupport.Upstream a = new TestSupport.Upstream("a");
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + "upstreams:\n  svc: { targets: [ { url: \""
                    + a.url()
                    + "\" } ] }\nroutes:\n  - { name: main, match: { path: /api/** }, upstream: svc }\n")) {
      var put = call(gw, "PUT", "/config/routes/main", "{match: {path: /x}, upstream: svc}", null);
      assertThat(put.statusCode()).isEqualTo(405);
      assertThat(put.headers().firstValue("Allow")).hasValue("GET, HEAD");
      assertThat(put.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(new JsonObject(put.body()).getString("detail"))
          .contains("config file")
          .contains("configSource.type: etcd");
      assertThat(call(gw, "DELETE", "/config/upstreams/svc", null, null).statusCode())
          .isEqualTo(405);
      var all = call(gw, "GET", "/config", null, null);
      assertThat(all.statusCode()).isEqualTo(200);
      assertThat(all.headers().firstValue("ETag")).isEmpty();
      JsonObject model = new JsonObject(all.body());
      assertThat(model.getString("source")).isEqualTo("file");
      assertThat(model.getJsonObject("routes").getJsonObject("main").getString("upstream"))
          .isEqualTo("svc");
      assertThat(status(gw, "/api/one")).isEqualTo(200);
    }
  }

  // --- helpers

  private static HttpResponse<String> call(
      RunningGateway gw, String method, String path, String body, String token, String... headers)
      throws Exception {
    List<String> h = new ArrayList<>(List.of(headers));
    if (token != null) {
      h.add("Authorization");
      h.add("Bearer " + token);
    }
    return TestSupport.send(method, gw.adminUrl(path), body, h.toArray(String[]::new));
  }

  private static CompletableFuture<HttpResponse<String>> async(
      RunningGateway gw, String method, String path, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(gw.adminUrl(path)))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + TOKEN)
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return TestSupport.HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> errors(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonArray a = new JsonObject(r.body()).getJsonArray("errors");
    return a.stream().map(Object::toString).toList();
  }

  private static List<JsonObject> writes(Path audit) throws Exception {
    if (!Files.exists(audit)) return List.of();
    return Files.readAllLines(audit).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .filter(o -> "config.write".equals(o.getString("event.action")))
        .toList();
  }

  /** Every key under the prefix but the node registrations, with its mod revision. */
  private static Map<String, Long> configKeys(EtcdClient kv) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    for (KeyValue k : done(kv.range(P + "/")).kvs())
      if (!k.key().startsWith(P + "/nodes/")) out.put(k.key(), k.modRevision());
    return out;
  }

  private static long revision(String etag) {
    return Long.parseLong(etag.replace("\"", ""));
  }

  private static int status(RunningGateway gw, String path) throws Exception {
    return TestSupport.get(gw.url(path)).statusCode();
  }

  private static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String nonLoopbackAddress() throws Exception {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) continue;
      for (InetAddress addr : Collections.list(ni.getInetAddresses()))
        if (addr instanceof Inet4Address && !addr.isLoopbackAddress()) return addr.getHostAddress();
    }
    return null;
  }

  /** An interface whose methods answer null, but telemetry, audit and fleet. */
  @SuppressWarnings("unchecked")
  private static <T> T stub(Class<T> type, FleetView fleet) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (p, m, args) ->
                switch (m.getName()) {
                  case "telemetry" -> Telemetry.NONE;
                  case "audit" -> Audit.NONE;
                  case "fleet" -> fleet;
                  case "toString" -> type.getSimpleName();
                  case "hashCode" -> 0;
                  case "equals" -> p == args[0];
                  default ->
                      m.getReturnType() == boolean.class
                          ? false
                          : m.getReturnType() == long.class ? 0L : null;
                });
  }
}
