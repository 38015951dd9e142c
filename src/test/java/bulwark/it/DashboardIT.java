package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every metric name in the Grafana dashboard and in the alert rules exists in a live /metrics
 * scrape of a gateway with every part on (metrics, tracing, audit, remediation, breakers, health
 * checks, retries, rate limits). A renamed metric would leave a panel or an alert silently empty.
 */
class DashboardIT {
  /** Metric names as they appear in PromQL: ours, the JVM's, Netty's and the process's. */
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:bulwark|jvm|netty|process)_[a-z0-9_]+)\\b");

  @Test
  void everyMetricTheDashboardAndTheAlertsUseIsInALiveScrape() throws Exception {
    List<String> exprs = AlertRulesTest.dashboardExpressions();
    Set<String> used = new TreeSet<>(names(exprs));
    used.addAll(names(List.of(java.nio.file.Files.readString(AlertRulesTest.ALERTS))));
    assertThat(used).hasSizeGreaterThan(25);

    int closed = TestSupport.freePort();
    try (Upstream up = new Upstream("up");
        // head() ends inside observability: the other parts are added to it
        RunningGateway gw =
            RunningGateway.start(
                TestSupport.head()
                    + """
              metrics: { enabled: true }
              tracing: { enabled: true, endpoint: "http://127.0.0.1:%d", sampleRatio: 100%% }
              audit: { file: "%s" }
            upstreams:
              api:
                targets: [ { url: %s }, { url: "http://127.0.0.1:%d" } ]
                healthCheck: { passive: { consecutiveFailures: 1, ejectFor: 1m } }
                circuitBreaker: { window: 10, minimumCalls: 10 }
                retry: { attempts: 2, on: [connect_failure], backoff: 1ms, budget: 100%% }
              flaky:
                targets: [ { url: "http://127.0.0.1:%d" } ]
                circuitBreaker: { window: 2, minimumCalls: 2, openFor: 1m }
              shadow: { targets: [ { url: %s } ] }
            middlewares:
              limit: { rateLimit: { key: route, rate: 1000/s } }
            routes:
              - name: api
                match: { path: /api/** }
                upstream: api
                middlewares: [limit]
                mirror: { upstream: shadow, maxBody: 0 }
              - { name: flaky, match: { path: /flaky }, upstream: flaky }
            remediation:
              webhookToken: "%s"
              rules:
                - { alert: BulwarkTargetFailing, action: ejectTarget }
            """
                        .formatted(
                            closed,
                            java.nio.file.Files.createTempDirectory("dash").resolve("audit.jsonl"),
                            up.url(),
                            closed,
                            TestSupport.freePort(),
                            up.url(),
                            RemediationIT.WEBHOOK))) {
      for (int i = 0; i < 4; i++) TestSupport.get(gw.url("/api/x"));
      // mirror copies: answered ones (the GETs above), and one dropped (a body over maxBody 0)
      TestSupport.send("POST", gw.url("/api/x"), "x");
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> !Scrape.of(gw).find("bulwark_mirror_responses_total").isEmpty());
      // counters that only exist once they count: a breaker transition and a remediation action
      for (int i = 0; i < 3; i++) TestSupport.get(gw.url("/flaky"));
      var r =
          TestSupport.send(
              "POST",
              gw.adminUrl("/alerts"),
              RemediationIT.notification(
                      "firing",
                      "0a1b2c3d4e5f6071",
                      java.util.Map.of(
                          "alertname",
                          "BulwarkTargetFailing",
                          "upstream",
                          "api",
                          "target",
                          "127.0.0.1:" + closed))
                  .encode(),
              "Content-Type",
              "application/json",
              "Authorization",
              "Bearer " + RemediationIT.WEBHOOK);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("ejectTarget");
      TestSupport.get(gw.url("/nowhere"));
      // jvm_gc_pause_seconds appears with the first collection: make sure there was one (the
      // gateway runs in this JVM; the GC notification arrives asynchronously)
      System.gc();
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> !Scrape.of(gw).find("jvm_gc_pause_seconds_sum").isEmpty());
      Scrape s = Scrape.of(gw);
      Set<String> present =
          s.series.stream().map(Scrape.Series::name).collect(Collectors.toCollection(TreeSet::new));
      // a histogram is used through its _bucket/_count/_sum series; all three must be there
      Set<String> missing = new TreeSet<>(used);
      missing.removeAll(present);
      assertThat(missing)
          .as(
              "metric names used by the dashboard or the alerts but absent from /metrics:\n%s",
              present)
          .isEmpty();
    }
  }

  private static Set<String> names(List<String> texts) {
    Set<String> out = new TreeSet<>();
    for (String t : texts) {
      Matcher m = METRIC.matcher(t);
      while (m.find()) out.add(m.group(1));
    }
    return out;
  }
}
