package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.cli.Main;
import bulwark.fleet.EtcdClient;
import bulwark.it.TestSupport.RunningGateway;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A fleet: three gateways in etcd mode (configSource.type: etcd) in this JVM, each on its own ports
 * and with its own cache file, and a real three-member etcd cluster on loopback. Writes go straight
 * to etcd ({@code <prefix>/routes/<name>} keys); every gateway must end at the same etcd revision
 * (its {@code fleet().revision()}) serving exactly what etcd holds, through a burst of writes, a
 * member killed, the whole cluster down and a compaction past what one gateway has seen.
 */
class FleetIT {
  private static final String P = "/fleet";
  private static final Duration WAIT = Duration.ofSeconds(90);

  /**
   * For every gateway to apply 1,000 revisions: each one is a reload (bind, validate, compile), and
   * on a busy two-core machine three gateways take tens of seconds to go through them all.
   */
  private static final Duration BURST_WAIT = Duration.ofSeconds(120);

  /** Cases 1 and 2: the initial config everywhere, then 1,000 writes under load. */
  @Test
  void everyGatewayFollowsABurstOfWritesWithoutFailingARequest(@TempDir Path dir) throws Exception {
    try (Fleet f = new Fleet(dir)) {
      f.startGateways(3);
      for (RunningGateway gw : f.gateways) {
        assertThat(status(gw, "/stable/one")).isEqualTo(200);
        assertThat(status(gw, "/v0/r0/one")).isEqualTo(404);
        assertThat(gw.gateway.fleet().revision()).isEqualTo(f.initialRevision);
      }

      // each write is one put or delete of one route: a route moves to a new path, is added or
      // removed; /stable/** is in every version and is under load all along. The writes go in
      // waves of up to 10 at once (etcd commits them faster than one by one), each on a different
      // route, so the final state does not depend on the order etcd commits a wave in.
      Random rnd = new Random(18);
      Map<String, String> live = new LinkedHashMap<>();
      List<String> everyPath = new ArrayList<>();
      long rev;
      try (Load load = new Load(f.gateways, "/stable/load", 2)) {
        int writes = 0;
        while (writes < 1000) {
          List<Future<Long>> wave = new ArrayList<>();
          Set<String> touched = new HashSet<>();
          while (writes < 1000 && wave.size() < 10) {
            String name = "r" + rnd.nextInt(20);
            if (!touched.add(name)) continue;
            if (live.containsKey(name) && rnd.nextInt(4) == 0) {
              wave.add(f.kv.delete(routeKey(name)));
              live.remove(name);
            } else {
              String path = "/v" + writes + "/" + name;
              wave.add(f.kv.put(routeKey(name), route(path)));
              live.put(name, path);
              everyPath.add(path);
            }
            writes++;
          }
          done(Future.all(wave));
        }
        // a route never seen before: whatever the watch batches, the last one changes the config
        rev = done(f.kv.put(routeKey("last"), route("/last")));
        live.put("last", "/last");
        everyPath.add("/last");
        f.awaitRevision(rev, f.gateways, BURST_WAIT);
        load.stop();
        assertThat(load.failures).isEmpty();
        assertThat(load.ok.get()).isPositive();
      }

      // exactly the final routes: each route's last path answers, every older or deleted one not
      List<String> expected200 = new ArrayList<>(live.values());
      expected200.add("/stable");
      for (RunningGateway gw : f.gateways) {
        assertThat(gw.gateway.fleet().revision()).isEqualTo(rev);
        assertThat(routeCount(gw)).isEqualTo(live.size() + 1);
        for (String path : everyPath) {
          int want = live.containsValue(path) ? 200 : 404;
          assertThat(status(gw, path + "/x")).as("%s on :%d", path, gw.port).isEqualTo(want);
        }
        for (String path : expected200) assertThat(status(gw, path + "/x")).isEqualTo(200);
      }
    }
  }

  /** Case 3: the member every gateway watches through dies; writes go on through the others. */
  @Test
  void writesThroughTheRemainingMembersReachEveryGatewayAfterAMemberDies(@TempDir Path dir)
      throws Exception {
    try (Fleet f = new Fleet(dir)) {
      f.startGateways(3);
      // every client (the gateways' included) starts on its first endpoint, member 0
      f.etcd.kill(0);
      await().atMost(WAIT).until(() -> f.etcd.healthy(1) && f.etcd.healthy(2));
      for (RunningGateway gw : f.gateways) assertThat(status(gw, "/stable/one")).isEqualTo(200);

      try (EtcdClient via2 = f.client(2)) {
        done(f.kv.put(routeKey("a"), route("/a")));
        done(via2.put(routeKey("b"), route("/b")));
        done(f.kv.delete(routeKey("a")));
        long rev = done(via2.put(routeKey("c"), route("/c")));
        f.awaitRevision(rev);
        for (RunningGateway gw : f.gateways) {
          assertThat(status(gw, "/a/x")).isEqualTo(404);
          assertThat(status(gw, "/b/x")).isEqualTo(200);
          assertThat(status(gw, "/c/x")).isEqualTo(200);
          assertThat(status(gw, "/stable/x")).isEqualTo(200);
        }
      }
    }
  }

  /**
   * Case 4: with every member down the gateways keep serving; one gateway, down while a write was
   * made, starts again during the outage from its cache file; once etcd is back all of them catch
   * up with that write and with one made after.
   */
  @Test
  void gatewaysServeThroughAnEtcdOutageAndCatchUpAfter(@TempDir Path dir) throws Exception {
    try (Fleet f = new Fleet(dir)) {
      f.startGateways(3);
      f.closeGateway(2);
      long missed;
      try (EtcdClient via1 = f.client(1)) {
        missed = done(via1.put(routeKey("missed"), route("/missed")));
      }
      f.awaitRevision(missed);
      for (int i = 0; i < f.etcd.size(); i++) f.etcd.stop(i);

      for (RunningGateway gw : f.gateways) {
        if (gw == null) continue;
        assertThat(status(gw, "/stable/one")).isEqualTo(200);
        assertThat(status(gw, "/missed/one")).isEqualTo(200);
      }
      RunningGateway back = f.startGateway(2);
      assertThat(status(back, "/stable/one")).isEqualTo(200);
      assertThat(status(back, "/missed/one")).isEqualTo(404); // the cache predates the write
      JsonObject details = configDetails(back);
      assertThat(details.getString("source")).isEqualTo("cache");
      assertThat(details.getBoolean("fromCache")).isTrue();
      assertThat(back.gateway.fleet().revision()).isEqualTo(f.initialRevision);

      f.etcd.restartAll();
      long rev;
      try (EtcdClient via0 = f.client(0)) {
        rev = done(via0.put(routeKey("after"), route("/after")));
      }
      f.awaitRevision(rev);
      for (RunningGateway gw : f.gateways) {
        assertThat(status(gw, "/stable/one")).isEqualTo(200);
        assertThat(status(gw, "/missed/one")).isEqualTo(200);
        assertThat(status(gw, "/after/one")).isEqualTo(200);
        assertThat(configDetails(gw).getString("source")).isEqualTo("etcd");
      }
    }
  }

  /**
   * Case 5: one gateway reaches etcd through a TCP proxy. With the proxy cut, routes change and the
   * history is compacted past the gateway's revision, so its next watch is told "compacted": it
   * reads everything again and ends where the others are.
   */
  @Test
  void aGatewayWhoseHistoryWasCompactedReadsAgainAndConverges(@TempDir Path dir) throws Exception {
    try (Fleet f = new Fleet(dir);
        TcpProxy proxy = new TcpProxy(URI.create(f.etcd.endpoint(1)).getPort())) {
      proxy.open();
      f.startGateways(2);
      RunningGateway behind = f.startGateway(List.of(proxy.url()), dir.resolve("behind.yaml"));
      assertThat(status(behind, "/stable/one")).isEqualTo(200);

      proxy.cut();
      done(f.kv.put(routeKey("gone"), route("/gone")));
      done(f.kv.put(routeKey("moved"), route("/first")));
      done(f.kv.put(routeKey("moved"), route("/second")));
      done(f.kv.delete(routeKey("gone")));
      long rev = done(f.kv.put(routeKey("new"), route("/new")));
      done(f.kv.compact(rev));
      f.awaitRevision(rev, f.gateways.subList(0, 2), WAIT);
      assertThat(behind.gateway.fleet().revision()).isEqualTo(f.initialRevision);
      assertThat(status(behind, "/new/one")).isEqualTo(404);

      proxy.open();
      f.awaitRevision(rev);
      for (RunningGateway gw : f.gateways) {
        assertThat(status(gw, "/stable/one")).isEqualTo(200);
        assertThat(status(gw, "/new/one")).isEqualTo(200);
        assertThat(status(gw, "/second/one")).isEqualTo(200);
        assertThat(status(gw, "/first/one")).isEqualTo(404);
        assertThat(status(gw, "/gone/one")).isEqualTo(404);
        assertThat(routeCount(gw)).isEqualTo(3);
      }
    }
  }

  /**
   * The etcd cluster with the initial config (upstream svc, route stable on /stable/**), a writer
   * on every member, an upstream, and the gateways started on it; {@link #close} ends them all,
   * also after a failure.
   */
  /**
   * Case 0: {@code bulwark apply} of a file; every gateway serves it and {@code GET /cluster} on
   * each shows every gateway at the revision the apply answered. Then the admin write API of one
   * gateway: its writes reach the others, a broken reference is refused with nothing changed, and
   * two writers with the same If-Match get one 200 and one 412.
   */
  @Test
  void applyAndTheWriteApiReachEveryGatewayAndClusterAgrees(@TempDir Path dir) throws Exception {
    try (Fleet f = new Fleet(dir)) {
      f.startGateways(3);
      Path file = dir.resolve("routing.yaml");
      Files.writeString(
          file,
          """
          upstreams:
            svc: { targets: [ { url: "%s" } ] }
          routes:
            - { name: stable, match: { path: /stable/** }, upstream: svc }
            - { name: orders, match: { path: /orders/** }, upstream: svc }
            - { name: users, match: { path: /users/** }, upstream: svc }
          """
              .formatted(f.upstream.url()));
      var out = new java.io.ByteArrayOutputStream();
      PrintStream old = System.out;
      int code;
      try {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        code =
            new CommandLine(new Main())
                .execute(
                    "apply",
                    "-f",
                    file.toString(),
                    "--etcd",
                    String.join(",", f.etcd.endpoints()),
                    "--prefix",
                    P);
      } finally {
        System.setOut(old);
      }
      String printed = out.toString(StandardCharsets.UTF_8);
      assertThat(code).as(printed).isZero();
      Matcher m = Pattern.compile("applied at etcd revision (\\d+)").matcher(printed);
      assertThat(m.find()).as(printed).isTrue();
      long applied = Long.parseLong(m.group(1));

      f.awaitRevision(applied);
      for (RunningGateway gw : f.gateways) {
        assertThat(status(gw, "/orders/1")).isEqualTo(200);
        assertThat(status(gw, "/users/1")).isEqualTo(200);
      }
      // every gateway lists all three, each at the applied revision (node values are re-put at
      // most every 500 ms: wait for them)
      for (RunningGateway gw : f.gateways) {
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  JsonObject c = new JsonObject(TestSupport.get(gw.adminUrl("/cluster")).body());
                  assertThat(c.getJsonObject("node").getLong("revision")).isEqualTo(applied);
                  JsonArray nodes = c.getJsonArray("nodes");
                  assertThat(nodes).hasSize(3);
                  for (int i = 0; i < nodes.size(); i++)
                    assertThat(nodes.getJsonObject(i).getLong("revision"))
                        .as(nodes.getJsonObject(i).encode())
                        .isEqualTo(applied);
                });
      }

      // the write API of gateway 0; gateways 1 and 2 serve what it wrote
      RunningGateway g0 = f.gateways.get(0);
      var read = TestSupport.get(g0.adminUrl("/config/routes/orders"));
      assertThat(read.statusCode()).isEqualTo(200);
      String etag = read.headers().firstValue("ETag").orElseThrow();
      String moved = "{\"match\": {\"path\": \"/orders-v2/**\"}, \"upstream\": \"svc\"}";
      String other = "{\"match\": {\"path\": \"/orders-v3/**\"}, \"upstream\": \"svc\"}";
      var first =
          TestSupport.send("PUT", g0.adminUrl("/config/routes/orders"), moved, "If-Match", etag);
      var second =
          TestSupport.send(
              "PUT", f.gateways.get(1).adminUrl("/config/routes/orders"), other, "If-Match", etag);
      assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
      assertThat(second.statusCode()).as(second.body()).isEqualTo(412);
      for (RunningGateway gw : f.gateways)
        await().atMost(WAIT).until(() -> status(gw, "/orders-v2/1") == 200);
      for (RunningGateway gw : f.gateways) {
        assertThat(status(gw, "/orders/1")).isEqualTo(404);
        assertThat(status(gw, "/orders-v3/1")).isEqualTo(404);
      }

      // a broken reference: 400 naming the field, and etcd keeps what it had
      long before = done(f.kv.range(P + "/routes/")).revision();
      var broken =
          TestSupport.send(
              "PUT",
              g0.adminUrl("/config/routes/users"),
              "{\"match\": {\"path\": \"/users/**\"}, \"upstream\": \"nope\"}");
      assertThat(broken.statusCode()).as(broken.body()).isEqualTo(400);
      assertThat(broken.body()).contains("upstream").contains("nope");
      var users = done(f.kv.range(P + "/routes/users"));
      assertThat(users.kvs()).hasSize(1);
      assertThat(users.kvs().get(0).modRevision()).isLessThanOrEqualTo(before);
      for (RunningGateway gw : f.gateways) assertThat(status(gw, "/users/1")).isEqualTo(200);
    }
  }

  private static final class Fleet implements AutoCloseable {
    final Path dir;
    final Deque<AutoCloseable> resources = new ArrayDeque<>();
    final List<RunningGateway> gateways = new ArrayList<>();
    final EtcdCluster etcd;
    final TestSupport.Upstream upstream;
    final EtcdClient kv;
    final long initialRevision;

    Fleet(Path dir) throws Exception {
      this.dir = dir;
      try {
        etcd = EtcdCluster.start(3);
        resources.push(etcd);
        upstream = new TestSupport.Upstream("svc");
        resources.push(upstream);
        kv = EtcdClient.create(etcd.config(P));
        resources.push(kv);
        done(kv.put(P + "/upstreams/svc", "{\"targets\":[{\"url\":\"" + upstream.url() + "\"}]}"));
        initialRevision = done(kv.put(routeKey("stable"), route("/stable")));
      } catch (Exception | Error e) {
        close();
        throw e;
      }
    }

    /** A writer on member {@code i} only. */
    EtcdClient client(int i) {
      return EtcdClient.create(EtcdCluster.config(P, List.of(etcd.endpoint(i)), "", ""));
    }

    void startGateways(int n) throws Exception {
      for (int i = 0; i < n; i++) startGateway(i);
    }

    /** Starts gateway {@code i} on every member, with cache file gw{i}.yaml, in slot {@code i}. */
    RunningGateway startGateway(int i) throws Exception {
      RunningGateway gw = RunningGateway.start(bootstrap(etcd.endpoints(), cache(i)));
      while (gateways.size() <= i) gateways.add(null);
      gateways.set(i, gw);
      return gw;
    }

    /** Starts one more gateway on {@code endpoints}. */
    RunningGateway startGateway(List<String> endpoints, Path cacheFile) throws Exception {
      RunningGateway gw = RunningGateway.start(bootstrap(endpoints, cacheFile));
      gateways.add(gw);
      return gw;
    }

    void closeGateway(int i) {
      RunningGateway gw = gateways.set(i, null);
      if (gw != null) gw.close();
    }

    Path cache(int i) {
      return dir.resolve("gw" + i + ".yaml");
    }

    /** Waits until every running gateway serves etcd's revision {@code rev}. */
    void awaitRevision(long rev) {
      awaitRevision(rev, gateways, WAIT);
    }

    void awaitRevision(long rev, List<RunningGateway> which, Duration atMost) {
      await()
          .atMost(atMost)
          .untilAsserted(
              () ->
                  assertThat(
                          which.stream()
                              .filter(Objects::nonNull)
                              .map(g -> g.gateway.fleet().revision())
                              .collect(Collectors.toList()))
                      .as("revision served by each gateway")
                      .allMatch(r -> r == rev));
    }

    @Override
    public void close() {
      List<Throwable> errors = new ArrayList<>();
      for (RunningGateway gw : gateways) {
        try {
          if (gw != null) gw.close();
        } catch (RuntimeException e) {
          errors.add(e);
        }
      }
      gateways.clear();
      while (!resources.isEmpty()) {
        try {
          resources.pop().close();
        } catch (Exception e) {
          errors.add(e);
        }
      }
      if (!errors.isEmpty()) throw new IllegalStateException("cleanup failed", errors.get(0));
    }
  }

  /**
   * Client threads sending GET {@code path} to every gateway in turn until stopped; a response
   * other than 200, or none, is a failure.
   */
  private static final class Load implements AutoCloseable {
    final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicLong ok = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new ArrayList<>();

    Load(List<RunningGateway> gateways, String path, int clients) {
      List<String> urls = gateways.stream().map(g -> g.url(path)).toList();
      for (int t = 0; t < clients; t++) {
        Thread th =
            new Thread(
                () -> {
                  while (!stopped.get()) {
                    for (String url : urls) {
                      try {
                        int s = TestSupport.get(url).statusCode();
                        if (s == 200) ok.incrementAndGet();
                        else failures.add(url + ": HTTP " + s);
                      } catch (InterruptedException e) {
                        return;
                      } catch (Exception e) {
                        failures.add(url + ": " + e);
                      }
                    }
                  }
                },
                "fleet-load-" + t);
        th.setDaemon(true);
        th.start();
        threads.add(th);
      }
    }

    void stop() throws InterruptedException {
      stopped.set(true);
      for (Thread t : threads) t.join(Duration.ofSeconds(30));
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }

  private static String bootstrap(List<String> endpoints, Path cacheFile) {
    return TestSupport.head()
        + """
        configSource:
          type: etcd
          etcd:
            endpoints: [%s]
            prefix: %s
            dialTimeout: 1s
            cacheFile: %s
        """
            .formatted(
                endpoints.stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(", ")),
                P,
                cacheFile);
  }

  private static String routeKey(String name) {
    return P + "/routes/" + name;
  }

  /** A route in the file's shape, as JSON: {@code prefix/**} to upstream svc. */
  private static String route(String prefix) {
    return "{\"match\":{\"path\":\"" + prefix + "/**\"},\"upstream\":\"svc\"}";
  }

  private static <T> T done(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static int status(RunningGateway gw, String path) throws Exception {
    return TestSupport.get(gw.url(path)).statusCode();
  }

  private static int routeCount(RunningGateway gw) throws Exception {
    return configDetails(gw).getInteger("routes");
  }

  private static JsonObject configDetails(RunningGateway gw) throws Exception {
    return new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body())
        .getJsonObject("components")
        .getJsonObject("config")
        .getJsonObject("details");
  }
}
