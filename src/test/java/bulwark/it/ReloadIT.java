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
    sb.append(
        """
        upstreams:
          svc: { targets: [ { url: %s } ] }
        routes:
          - name: main
            match: { path: /api/** }
            upstream: svc
        """
            .formatted(upstreamUrl));
    for (int i = 0; i < extraRoutes; i++) {
      sb.append(
          """
            - name: extra-%d
              match: { path: /extra/%d/** }
              upstream: svc
          """
              .formatted(i, i));
    }
    return sb.toString();
  }

  @Test
  void reloadingEvery100msUnderLoadFailsNoRequest() throws Exception {
    // every change is applied at the first poll that sees it (reloadSettle: 0s), and each is
    // written
    // atomically (a new file renamed into place), as docs/operations.md recommends
    try (Upstream a = new Upstream("a");
        Upstream b = new Upstream("b");
        RunningGateway gw = RunningGateway.start(noSettle(config(a.url(), 0)), true)) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      Set<String> servedBy = ConcurrentHashMap.newKeySet();
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
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
        writeAtomically(gw.file, noSettle(config(i % 2 == 0 ? b.url() : a.url(), i % 3)));
        Thread.sleep(100); // pacing the writer, not waiting for anything
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> gw.gateway.reloadsOk() - reloadsBefore >= 10);
      stop.set(true);
      for (Thread t : clients) t.join(30_000);
      assertThat(failures).isEmpty();
      assertThat(ok.get()).isGreaterThan(100);
      assertThat(servedBy).containsExactlyInAnyOrder("a", "b");
      assertThat(gw.gateway.reloadsFailed()).isZero();
    }
  }

  private static String noSettle(String yaml) {
    return yaml.replace("server:\n", "server:\n  reloadSettle: 0s\n");
  }

  /** Writes a new file next to the target and renames it into place. */
  static void writeAtomically(java.nio.file.Path file, String yaml) throws java.io.IOException {
    java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, yaml);
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void invalidReloadKeepsTheOldRoutesServing() throws Exception {
    try (Upstream a = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(a.url(), 0))) {
      long gen = gw.gateway.generation();
      boolean applied =
          gw.rewrite(
              TestSupport.head()
                  + """
          upstreams:
            svc: { targets: [ { url: %s } ] }
          routes:
            - name: main
              match: { path: /api/** }
              upstream: scv
              timeout: 5 seconds
          """
                      .formatted(a.url()));
      assertThat(applied).isFalse();
      assertThat(gw.gateway.generation()).isEqualTo(gen);
      assertThat(gw.gateway.lastReloadError())
          .contains("routes[0].upstream: unknown upstream 'scv' (did you mean 'svc'?)")
          .contains("routes[0].timeout");
      HttpResponse<String> r = TestSupport.get(gw.url("/api/still"));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"upstream\":\"a\"");
      JsonObject ready = new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body());
      assertThat(
              ready
                  .getJsonObject("components")
                  .getJsonObject("config")
                  .getJsonObject("details")
                  .getLong("reloadsFailed"))
          .isEqualTo(1);
      // a later valid reload is applied
      assertThat(gw.rewrite(config(a.url(), 2))).isTrue();
      assertThat(TestSupport.get(gw.url("/extra/1/z")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aFileWrittenInTwoStepsIsAppliedOnlyOnceComplete() throws Exception {
    // the first step alone is a valid config without routes: applied, it would answer 404 to all
    String settle = "server:\n  reloadSettle: 5s\n";
    try (Upstream a = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(config(a.url(), 0).replace("server:\n", settle), true)) {
      long gen = gw.gateway.generation();
      String full = config(a.url(), 1).replace("server:\n", settle);
      int routesAt = full.indexOf("routes:");
      AtomicBoolean stop = new AtomicBoolean();
      List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread client =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!stop.get()) {
                      try {
                        HttpResponse<String> r = TestSupport.get(gw.url("/api/x"));
                        if (r.statusCode() != 200) failures.add(r.statusCode() + " " + r.body());
                      } catch (Exception e) {
                        failures.add(e.toString());
                      }
                    }
                  });
      Files.writeString(gw.file, full.substring(0, routesAt));
      Thread.sleep(300); // the writer's pause between its two steps
      Files.writeString(gw.file, full.substring(routesAt), java.nio.file.StandardOpenOption.APPEND);
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> TestSupport.get(gw.url("/extra/0/z")).statusCode() == 200);
      stop.set(true);
      client.join(30_000);
      assertThat(failures).isEmpty();
      assertThat(gw.gateway.generation()).isEqualTo(gen + 1);
      assertThat(gw.gateway.reloadsFailed()).isZero();
    }
  }

  @Test
  void aReloadThatRemovesMostRoutesIsLoggedAtWarn() throws Exception {
    ch.qos.logback.classic.Logger log =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(bulwark.server.Gateway.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    log.addAppender(logs);
    try (Upstream a = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(a.url(), 3))) {
      assertThat(gw.rewrite(config(a.url(), 2))).isTrue(); // 4 routes to 3: not most
      assertThat(warnings(logs)).isEmpty();
      assertThat(gw.rewrite(config(a.url(), 0))).isTrue(); // 3 routes to 1
      assertThat(warnings(logs))
          .singleElement()
          .asString()
          .contains("removed most routes")
          .contains("has 1 route(s), the previous one had 3")
          .contains("rename it into place");
    } finally {
      log.detachAppender(logs);
    }
  }

  private static List<String> warnings(
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs) {
    synchronized (logs.list) {
      return logs.list.stream()
          .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(e -> e.getFormattedMessage())
          .toList();
    }
  }

  @Test
  void aRevertedBadEditClearsTheFailedState() throws Exception {
    try (Upstream a = new Upstream("a");
        RunningGateway gw = RunningGateway.start(config(a.url(), 0))) {
      String good = Files.readString(gw.file);
      assertThat(gw.rewrite(good.replace("upstream: svc", "upstream: scv"))).isFalse();
      assertThat(gw.gateway.lastReloadError()).contains("unknown upstream 'scv'");
      assertThat(Scrape.of(gw).value("bulwark_config_last_reload_success")).isZero();
      // the file is put back as it was: nothing new to apply, but nothing failed any more
      long gen = gw.gateway.generation();
      assertThat(gw.rewrite(good)).isFalse();
      assertThat(gw.gateway.generation()).isEqualTo(gen);
      assertThat(gw.gateway.lastReloadError()).isNull();
      JsonObject config =
          new JsonObject(TestSupport.get(gw.adminUrl("/health/ready")).body())
              .getJsonObject("components")
              .getJsonObject("config");
      assertThat(config.getJsonObject("details").getString("lastReloadError")).isNull();
      assertThat(Scrape.of(gw).value("bulwark_config_last_reload_success")).isEqualTo(1);
      // an identical file with nothing failed before stays a no-op
      long ok = gw.gateway.reloadsOk();
      assertThat(gw.rewrite(good)).isFalse();
      assertThat(gw.gateway.reloadsOk()).isEqualTo(ok);
    }
  }

  @Test
  void targetStateSurvivesAReloadThatKeepsTheTarget() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger arrived = new AtomicInteger();
    try (Upstream slow =
            new Upstream(
                "slow",
                req -> {
                  arrived.incrementAndGet();
                  Thread.ofPlatform()
                      .start(
                          () -> {
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
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      pending.set(TestSupport.get(gw.url("/api/slow")));
                    } catch (Exception e) {
                      throw new RuntimeException(e);
                    }
                  });
      await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == 1);
      assertThat(inFlightOf(gw, slow.port)).isEqualTo(1);
      // a reload that changes the upstream's settings but keeps its target
      assertThat(
              gw.rewrite(
                  config(slow.url(), 3)
                      .replace(
                          "svc: { targets: [ { url: " + slow.url() + " } ] }",
                          "svc: { targets: [ { url: "
                              + slow.url()
                              + " } ], maxConnectionsPerTarget: 10 }")))
          .isTrue();
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
    var targets =
        ready
            .getJsonObject("components")
            .getJsonObject("upstreams")
            .getJsonObject("components")
            .getJsonObject("svc")
            .getJsonObject("details")
            .getJsonArray("targets");
    for (int i = 0; i < targets.size(); i++) {
      JsonObject t = targets.getJsonObject(i);
      if (t.getString("target").equals("127.0.0.1:" + port)) return t.getInteger("inFlight");
    }
    throw new AssertionError("target not listed: " + targets);
  }
}
