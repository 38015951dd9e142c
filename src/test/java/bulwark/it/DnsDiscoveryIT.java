package bulwark.it;

import static bulwark.it.DnsServer.a;
import static bulwark.it.DnsServer.srv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DNS discovery against a real DNS server on loopback whose answers change while the gateway runs,
 * with real HTTP upstreams on several loopback addresses (127.0.0.2, .3, .4) at one port.
 */
class DnsDiscoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private DnsServer dns;

  @BeforeEach
  void startDns() throws Exception {
    dns = new DnsServer();
  }

  @AfterEach
  void stopDns() {
    dns.close();
  }

  private String config(String discovery, String extra) {
    return TestSupport.head()
        + """
        upstreams:
          svc:
            discovery: { %s, nameservers: [ "%s" ] }
        %s
        routes:
          - { name: r, match: { path: /** }, upstream: svc }
        """
            .formatted(discovery, dns.address(), extra);
  }

  private static JsonObject upstream(RunningGateway gw) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl("/upstreams"));
    assertThat(r.statusCode()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonObject("upstreams").getJsonObject("svc");
  }

  /** The targets the admin API shows, by address, with their weights. */
  private static Map<String, Integer> targets(RunningGateway gw) throws Exception {
    Map<String, Integer> out = new TreeMap<>();
    JsonArray ts = upstream(gw).getJsonArray("targets");
    for (int i = 0; i < ts.size(); i++)
      out.put(ts.getJsonObject(i).getString("target"), ts.getJsonObject(i).getInteger("weight"));
    return out;
  }

  private static JsonObject target(RunningGateway gw, String key) throws Exception {
    JsonArray ts = upstream(gw).getJsonArray("targets");
    for (int i = 0; i < ts.size(); i++)
      if (ts.getJsonObject(i).getString("target").equals(key)) return ts.getJsonObject(i);
    throw new AssertionError("no target " + key + " in " + ts.encode());
  }

  private static String servedBy(RunningGateway gw) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.url("/x"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("upstream");
  }

  @Test
  void aRecordsThatChangeChangeTheTargetsWithoutAFailedRequest() throws Exception {
    int port = TestSupport.freePort();
    try (Upstream a = new Upstream("a", null, "127.0.0.2", port);
        Upstream b = new Upstream("b", null, "127.0.0.3", port);
        Upstream c = new Upstream("c", null, "127.0.0.4", port)) {
      dns.set("svc.test", a("127.0.0.2", 1), a("127.0.0.3", 1));
      String cfg = config("dns: \"svc.test:" + port + "\", refresh: 10s", "");
      try (RunningGateway gw = RunningGateway.start(cfg)) {
        // the first lookup is waited for at startup: the targets are there from the first request
        assertThat(targets(gw)).containsOnlyKeys("127.0.0.2:" + port, "127.0.0.3:" + port);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Set<String> served = ConcurrentHashMap.newKeySet();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          clients.add(
              Thread.ofPlatform()
                  .start(
                      () -> {
                        while (!stop.get()) {
                          try {
                            HttpResponse<String> r = TestSupport.get(gw.url("/x"));
                            if (r.statusCode() != 200) failures.add(r.statusCode() + r.body());
                            else served.add(new JsonObject(r.body()).getString("upstream"));
                          } catch (Exception e) {
                            failures.add(e.toString());
                          }
                        }
                      }));
        }
        try {
          await().atMost(WAIT).until(() -> served.containsAll(Set.of("a", "b")));
          dns.set("svc.test", a("127.0.0.3", 1), a("127.0.0.4", 1));
          await().atMost(WAIT).until(() -> served.contains("c"));
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      targets(gw)
                          .keySet()
                          .equals(Set.of("127.0.0.3:" + port, "127.0.0.4:" + port)));
        } finally {
          stop.set(true);
          for (Thread t : clients) t.join();
        }
        assertThat(failures).isEmpty();
        // the removed address gets no more requests
        int aSeen = a.seen.size();
        Set<String> after = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) after.add(servedBy(gw));
        assertThat(after).containsExactlyInAnyOrder("b", "c");
        assertThat(a.seen).hasSize(aSeen);
        // a reload of the file keeps the targets DNS found
        assertThat(gw.rewrite(cfg.replace("name: r,", "name: r2,"))).isTrue();
        assertThat(targets(gw)).containsOnlyKeys("127.0.0.3:" + port, "127.0.0.4:" + port);
        assertThat(servedBy(gw)).isIn("b", "c");
      }
    }
  }

  @Test
  void anAddressThatStaysKeepsItsEjection() throws Exception {
    int port = TestSupport.freePort();
    AtomicInteger status = new AtomicInteger(500);
    try (Upstream a =
            new Upstream(
                "a", req -> req.response().setStatusCode(status.get()).end(), "127.0.0.2", port);
        Upstream b = new Upstream("b", null, "127.0.0.3", port);
        Upstream c = new Upstream("c", null, "127.0.0.4", port)) {
      dns.set("svc.test", a("127.0.0.2", 1), a("127.0.0.3", 1));
      String health =
          "    healthCheck: { passive: { consecutiveFailures: 1, ejectFor: 10m, maxEjectedPercent: 50% } }";
      try (RunningGateway gw =
          RunningGateway.start(config("dns: \"svc.test:" + port + "\", refresh: 10s", health))) {
        String aKey = "127.0.0.2:" + port;
        for (int i = 0; i < 50 && !target(gw, aKey).getBoolean("ejected"); i++)
          TestSupport.get(gw.url("/x"));
        JsonObject ejected = target(gw, aKey);
        assertThat(ejected.getBoolean("ejected")).isTrue();
        long generation = gw.gateway.generation();
        dns.set("svc.test", a("127.0.0.2", 1), a("127.0.0.3", 1), a("127.0.0.4", 1));
        await().atMost(WAIT).until(() -> targets(gw).size() == 3);
        assertThat(gw.gateway.generation()).isGreaterThan(generation);
        JsonObject kept = target(gw, aKey);
        assertThat(kept.getBoolean("ejected")).isTrue();
        assertThat(kept.getInteger("ejections")).isEqualTo(1);
        Set<String> served = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) served.add(servedBy(gw));
        assertThat(served).containsExactlyInAnyOrder("b", "c");
      }
    }
  }

  @Test
  void aFailedOrEmptyLookupKeepsTheLastGoodTargets() throws Exception {
    int port = TestSupport.freePort();
    try (Upstream a = new Upstream("a", null, "127.0.0.2", port);
        Upstream b = new Upstream("b", null, "127.0.0.3", port)) {
      dns.set("svc.test", a("127.0.0.2", 0));
      try (RunningGateway gw =
          RunningGateway.start(config("dns: \"svc.test:" + port + "\", refresh: 1s", ""))) {
        assertThat(servedBy(gw)).isEqualTo("a");
        int failures = 0;
        for (DnsResponseCode code : List.of(DnsResponseCode.SERVFAIL, DnsResponseCode.NXDOMAIN)) {
          dns.fail("svc.test", code);
          int before = failures;
          await()
              .atMost(WAIT)
              .until(
                  () -> upstream(gw).getJsonObject("discovery").getLong("failures") >= before + 2);
          JsonObject d = upstream(gw).getJsonObject("discovery");
          assertThat(d.getString("status")).isEqualTo("FAILING");
          assertThat(d.getString("lastError")).contains("svc.test");
          failures = d.getInteger("failures");
          for (int i = 0; i < 10; i++) assertThat(servedBy(gw)).isEqualTo("a");
        }
        // an empty answer (no A or AAAA record) is not taken as "no targets"
        dns.set("svc.test");
        int before = failures;
        await()
            .atMost(WAIT)
            .until(() -> upstream(gw).getJsonObject("discovery").getLong("failures") >= before + 2);
        assertThat(targets(gw)).containsOnlyKeys("127.0.0.2:" + port);
        assertThat(servedBy(gw)).isEqualTo("a");
        assertThat(
                Scrape.of(gw).value("bulwark_upstream_discovery_failures_total", "upstream", "svc"))
            .isGreaterThanOrEqualTo(before + 2);
        // an answer again: the targets follow it
        dns.set("svc.test", a("127.0.0.3", 0));
        await().atMost(WAIT).until(() -> targets(gw).containsKey("127.0.0.3:" + port));
        assertThat(targets(gw)).containsOnlyKeys("127.0.0.3:" + port);
        assertThat(upstream(gw).getJsonObject("discovery").getString("status")).isEqualTo("OK");
        assertThat(servedBy(gw)).isEqualTo("b");
      }
    }
  }

  @Test
  void aFirstLookupThatFailsStartsWithNoTargetsAnd503ThenRecovers() throws Exception {
    int port = TestSupport.freePort();
    try (Upstream a = new Upstream("a", null, "127.0.0.2", port)) {
      dns.fail("svc.test", DnsResponseCode.SERVFAIL);
      try (RunningGateway gw =
          RunningGateway.start(config("dns: \"svc.test:" + port + "\", refresh: 1s", ""))) {
        HttpResponse<String> r = TestSupport.get(gw.url("/x"));
        JsonObject problem = ItClients.assertProblem(r, 503);
        assertThat(problem.getString("detail"))
            .contains("upstream 'svc' has no targets: DNS discovery of svc.test:" + port)
            .contains("failed");
        dns.set("svc.test", a("127.0.0.2", 1));
        await().atMost(WAIT).until(() -> TestSupport.get(gw.url("/x")).statusCode() == 200);
        assertThat(servedBy(gw)).isEqualTo("a");
      }
    }
  }

  @Test
  void theTtlIsHonouredAndBoundedByRefresh() throws Exception {
    int port = TestSupport.freePort();
    try (Upstream a = new Upstream("a", null, "127.0.0.2", port)) {
      // a TTL of 1s with a refresh of an hour: looked up again at the TTL
      dns.set("short.test", a("127.0.0.2", 1));
      // a TTL of an hour with a refresh of 1s: looked up again at refresh
      dns.set("long.test", a("127.0.0.2", 3600));
      String yaml =
          TestSupport.head()
              + """
          upstreams:
            short:
              discovery: { dns: "short.test:%d", refresh: 1h, nameservers: [ "%s" ] }
            long:
              discovery: { dns: "long.test:%d", refresh: 1s, nameservers: [ "%s" ] }
          routes:
            - { name: s, match: { path: /s/** }, upstream: short }
            - { name: l, match: { path: /l/** }, upstream: long }
          """
                  .formatted(port, dns.address(), port, dns.address());
      try (RunningGateway gw = RunningGateway.start(yaml)) {
        await().atMost(WAIT).until(() -> dns.queries("short.test", DnsRecordType.A) >= 3);
        await().atMost(WAIT).until(() -> dns.queries("long.test", DnsRecordType.A) >= 3);
        assertThat(TestSupport.get(gw.url("/s/x")).statusCode()).isEqualTo(200);
        assertThat(TestSupport.get(gw.url("/l/x")).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void srvRecordsGivePortsAndWeightsOfTheLowestPriority() throws Exception {
    try (Upstream heavy = new Upstream("heavy");
        Upstream light = new Upstream("light");
        Upstream backup = new Upstream("backup")) {
      dns.set(
          "_http._tcp.svc.test",
          srv(10, 3, heavy.port, "pods.svc.test", 5),
          srv(10, 1, light.port, "pods.svc.test.", 5),
          srv(20, 1, backup.port, "pods.svc.test", 5));
      dns.set("pods.svc.test", a("127.0.0.1", 5));
      try (RunningGateway gw =
          RunningGateway.start(config("srv: _http._tcp.svc.test, refresh: 10s", ""))) {
        assertThat(targets(gw))
            .isEqualTo(Map.of("127.0.0.1:" + heavy.port, 3, "127.0.0.1:" + light.port, 1));
        Map<String, Integer> spread = new TreeMap<>();
        for (int i = 0; i < 40; i++) spread.merge(servedBy(gw), 1, Integer::sum);
        assertThat(spread).containsOnlyKeys("heavy", "light");
        assertThat(spread.get("heavy")).isGreaterThan(spread.get("light"));
        assertThat(backup.seen).isEmpty();
        assertThat(upstream(gw).getJsonObject("discovery").getString("srv"))
            .isEqualTo("_http._tcp.svc.test");
      }
    }
  }
}
