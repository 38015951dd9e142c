package bulwark.upstream;

import static bulwark.upstream.TestTargets.targets;
import static bulwark.upstream.health.HealthTesting.active;
import static bulwark.upstream.health.HealthTesting.config;
import static bulwark.upstream.health.HealthTesting.passWithCpu;
import static bulwark.upstream.health.HealthTesting.passive;
import static bulwark.upstream.health.HealthTesting.resourcesOnly;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ConfigLoader;
import bulwark.config.UpstreamConfig;
import bulwark.upstream.health.CheckResult;
import bulwark.upstream.health.HealthTesting.FakeTicker;
import bulwark.upstream.health.UpstreamHealth;
import bulwark.upstream.target.Outcome;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetStates;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Balancers with real health state: exclusions, DOWN, ejected and drained targets, and scores. */
class HealthAwareBalancingTest {
  private static final int N = 20_000;

  private static Map<Target, Integer> count(Balancer b, Set<Target> exclude, int n) {
    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(b.pick("key-" + i, exclude), 1, Integer::sum);
    }
    return counts;
  }

  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "least_request", "consistent_hash", "random"})
  void excludedDownEjectedAndDrainedTargetsAreNeverPicked(String name) {
    List<Target> ts = targets(1, 1, 1, 1, 1);
    Target down = ts.get(0),
        ejected = ts.get(1),
        drained = ts.get(2),
        excluded = ts.get(3),
        good = ts.get(4);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u",
            config(active(1, 1), passive(1, Duration.ofMinutes(1), 100), resourcesOnly(20), false),
            ts,
            new FakeTicker());
    h.onCheck(down, CheckResult.unreachable("connection refused"));
    h.onOutcome(ejected, Outcome.HTTP_5XX);
    h.onCheck(drained, passWithCpu(0.9)); // score 10 < floor 20
    Balancer b = Balancers.newBalancer(name, ts);

    Map<Target, Integer> counts = count(b, Set.of(excluded), 5_000);

    assertThat(counts).containsOnlyKeys(good);
    assertThat(b.pick("k", Set.of(excluded, good))).isNull();
    assertThat(b.pick(null, Set.of(good))).isSameAs(excluded);
  }

  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "least_request", "random"})
  void trafficIsWeightedByScore(String name) {
    List<Target> ts = targets(1, 1);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(active(1, 1), null, resourcesOnly(20), false), ts, new FakeTicker());
    h.onCheck(ts.get(0), passWithCpu(0.0)); // 100
    h.onCheck(ts.get(1), passWithCpu(0.75)); // 25
    Balancer b = Balancers.newBalancer(name, ts);

    Map<Target, Integer> counts = count(b, Set.of(), N);

    // 100 : 25 -> the low one gets 20% (stddev < 0.3%); unweighted would be 50%
    assertThat(counts.get(ts.get(1)) / (double) N).isBetween(0.15, 0.25);
  }

  @Test
  void consistentHashShedsAStableShareOfALowScoreTargetsKeys() {
    List<Target> ts = targets(1, 1);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(active(1, 1), null, resourcesOnly(20), false), ts, new FakeTicker());
    Balancer b = Balancers.newBalancer("consistent_hash", ts);
    Map<String, Target> before = new HashMap<>();
    for (int i = 0; i < N; i++) {
      before.put("key-" + i, b.pick("key-" + i));
    }
    h.onCheck(ts.get(1), passWithCpu(0.75)); // 25

    int low = 0;
    for (int i = 0; i < N; i++) {
      String k = "key-" + i;
      Target t = b.pick(k);
      assertThat(b.pick(k)).as("stable for %s", k).isSameAs(t);
      if (t == ts.get(1)) {
        low++;
        assertThat(before.get(k)).as("only its own keys stay").isSameAs(ts.get(1));
      } else if (before.get(k) == ts.get(0)) {
        assertThat(t).as("keys of the healthy target do not move").isSameAs(ts.get(0));
      }
    }
    // it owned about half of the keys and keeps a quarter of them: ~12.5%
    assertThat(low / (double) N).isBetween(0.08, 0.18);
  }

  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "least_request", "consistent_hash", "random"})
  void allScoresAtZeroStillPickAUsableTarget(String name) {
    List<Target> ts = targets(1, 1);
    UpstreamHealth h =
        UpstreamHealth.of(
            "u", config(active(1, 1), null, resourcesOnly(0), false), ts, new FakeTicker());
    ts.forEach(t -> h.onCheck(t, passWithCpu(1.0)));
    Balancer b = Balancers.newBalancer(name, ts);

    assertThat(count(b, Set.of(), 200)).doesNotContainKey(null);
  }

  private static UpstreamRuntime runtime(boolean panic) throws Exception {
    String yaml =
        """
        upstreams:
          u:
            targets: [ { url: "http://10.0.0.1:8080" }, { url: "http://10.0.0.2:8080" } ]
            healthCheck:
              active: { interval: 1s, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 1 }
              panic: %s
        routes:
          - { name: r, match: { path: /** }, upstream: u }
        """
            .formatted(panic);
    UpstreamConfig uc = new ConfigLoader(k -> null).parse(yaml).upstreams().get("u");
    return new UpstreamRuntime("u", uc, new TargetStates());
  }

  @Test
  void withNoUsableTargetPanicModeSpreadsOverAllAndOtherwiseThereIsNone() throws Exception {
    UpstreamRuntime strict = runtime(false);
    UpstreamRuntime panicky = runtime(true);
    for (UpstreamRuntime u : List.of(strict, panicky)) {
      u.targets()
          .forEach(t -> u.health().onCheck(t, CheckResult.unreachable("connection refused")));
      assertThat(u.targets()).noneMatch(Target::available);
    }

    assertThat(strict.pick(null, Set.of())).isNull();

    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < 2_000; i++) {
      counts.merge(panicky.pick(null, Set.of()), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys(panicky.targets().toArray(Target[]::new));
    counts.values().forEach(c -> assertThat(c).isBetween(700, 1_300));
    assertThat(panicky.health().panicking()).isTrue();
    // a retry in panic mode goes to a target not tried yet
    assertThat(panicky.pick(null, Set.of(panicky.targets().get(0))))
        .isSameAs(panicky.targets().get(1));
    assertThat(panicky.pick(null, Set.copyOf(panicky.targets()))).isNull();

    // one target back: panic ends, and a retry does not go to the DOWN one
    Target back = panicky.targets().get(1);
    panicky.health().onCheck(back, CheckResult.passed("200", null));
    assertThat(panicky.pick(null, Set.of())).isSameAs(back);
    assertThat(panicky.health().panicking()).isFalse();
    assertThat(panicky.pick(null, Set.of(back))).isNull();
  }
}
