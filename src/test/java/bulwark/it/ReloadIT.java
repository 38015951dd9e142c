package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ReloadIT {
  private static String config(String upstreamUrl, int extraRoutes) {
    StringBuilder sb = new StringBuilder(TestSupport.head());
    sb.append("""
        upstreams:
          svc: { targets: [ { url: %s } ] }
        routes:
          - name: main
            match: { path: /api/** }
            upstream: svc
        """.formatted(upstreamUrl));
    for (int i = 0; i < extraRoutes; i++) {
      sb.append("""
            - name: extra-%d
              match: { path: /extra/%d/** }
              upstream: svc
          """.formatted(i, i));
    }
    return sb.toString();
  }

  @Test
  void reloadingEvery100msUnderLoadFailsNoRequest() throws Exception {
    try (Upstream a = new Upstream("a"); Upstream b = new Upstream("b");
         RunningGateway gw = RunningGateway.start(config(a.url(), 0), true)) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      Set<String> servedBy = ConcurrentHashMap.newKeySet();
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        clients.add(Thread.ofPlatform().start(() -> {
          while (!stop.get()) {
            try {
              HttpResponse<String> r = TestSupport.get(gw.url("/api/x"));
              if (r.statusCode() != 200) failures.add(r.statusCode() + " " + r.body());
              else {
                ok.incrementAndGet();
                servedBy.add(new JsonObject(r.body()).getString("upstream"));
              }
            } catch (Exception e) {
              failures.add(e.toString());
            }
          }
        }));
      }
      long reloadsBefore = gw.gateway.reloadsOk();
      // rewrite the watched file every 100 ms, alternating upstreams and route counts
      for (int i = 0; i < 30; i++) {
        Files.writeString(gw.file, config(i % 2 == 0 ? b.url() : a.url(), i % 3));
        Thread.sleep(100);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> gw.gateway.reloadsOk() - reloadsBefore >= 10);
      stop.set(true);
      for (Thread t : clients) t.join(30_000);
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isGreaterThan(100);
      assertThat(servedBy).containsExactlyInAnyOrder("a", "b");
      assertThat(gw.gateway.reloadsFailed()).isZero();
    }
  }

  @Test
  void invalidReloadKeepsTheOldRoutesServing() throws Exception {
    try (Upstream a = new Upstream("a"); RunningGateway gw = RunningGateway.start(config(a.url(), 0))) {
      long gen = gw.gateway.generation();
      boolean applied = gw.rewrite(TestSupport.head() + """
          upstreams:
            svc: { targets: [ { url: %s } ] }
          routes:
            - name: main
              match: { path: /api/** }
              upstream: scv
              timeout: 5 seconds
          """.formatted(a.url()));
      assertThat(applied).isFalse();
      assertThat(gw.gateway.generation()).isEqualTo(gen);
      assertThat(gw.gateway.lastReloadError())
          .contains("routes[0].upstream: unknown upstream 'scv' (did you mean 'svc'?)")
          .contains("routes[0].timeout");
      HttpResponse<String> r = TestSupport.get(gw.url("/api/still"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"upstream\":\"a\"");
      JsonObject ready = new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body());
      assertThat(ready.getJsonObject("components").getJsonObject("config").getJsonObject("details").getLong("reloadsFailed")).isEqualTo(1);
      // a later valid reload is applied
      assertThat(gw.rewrite(config(a.url(), 2))).isTrue();
      assertThat(TestSupport.get(gw.url("/extra/1/z")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void targetStateSurvivesAReloadThatKeepsTheTarget() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger arrived = new AtomicInteger();
    try (Upstream slow = new Upstream("slow", req -> {
          arrived.incrementAndGet();
          Thread.ofPlatform().start(() -> {
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
              // test ends
            }
            req.response().end("done");
          });
        });
        RunningGateway gw = RunningGateway.start(config(slow.url(), 0))) {
      AtomicReference<HttpResponse<String>> pending = new AtomicReference<>();
      Thread t = Thread.ofPlatform().start(() -> {
        try {
          pending.set(TestSupport.get(gw.url("/api/slow")));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == 1);
      assertThat(inFlightOf(gw, slow.port)).isEqualTo(1);
      // a reload that changes the upstream's settings but keeps its target
      assertThat(gw.rewrite(config(slow.url(), 3).replace("svc: { targets: [ { url: " + slow.url() + " } ] }",
          "svc: { targets: [ { url: " + slow.url() + " } ], maxConnectionsPerTarget: 10 }"))).isTrue();
      assertThat(inFlightOf(gw, slow.port)).isEqualTo(1);
      release.countDown();
      t.join(20_000);
      assertThat(pending.get().statusCode()).isEqualTo(200);
      assertThat(pending.get().body()).isEqualTo("done");
      await().atMost(Duration.ofSeconds(5)).until(() -> inFlightOf(gw, slow.port) == 0);
    }
  }

  private static int inFlightOf(RunningGateway gw, int port) throws Exception {
    JsonObject ready = new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body());
    var targets = ready.getJsonObject("components").getJsonObject("upstreams").getJsonObject("components")
        .getJsonObject("svc").getJsonObject("details").getJsonArray("targets");
    for (int i = 0; i < targets.size(); i++) {
      JsonObject t = targets.getJsonObject(i);
      if (t.getString("target").equals("127.0.0.1:" + port)) return t.getInteger("inFlight");
    }
    throw new AssertionError("target not listed: " + targets);
  }
}
