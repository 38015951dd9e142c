package bulwark.upstream;

import static bulwark.upstream.TestTargets.keys;
import static bulwark.upstream.TestTargets.runConcurrently;
import static bulwark.upstream.TestTargets.targets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import bulwark.upstream.target.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinBalancerTest {

  private static List<String> pickKeys(Balancer b, int n) {
    List<Target> picks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      picks.add(b.pick(null));
    }
    return keys(picks);
  }

  private static Map<String, Integer> count(List<String> keys) {
    Map<String, Integer> counts = new HashMap<>();
    keys.forEach(k -> counts.merge(k, 1, Integer::sum));
    return counts;
  }

  @Test
  void nginxSmoothSequenceFor5_1_1() {
    List<Target> ts = targets(5, 1, 1);
    String a = ts.get(0).key(), b = ts.get(1).key(), c = ts.get(2).key();
    Balancer rr = new RoundRobinBalancer(ts);

    assertThat(pickKeys(rr, 14)).containsExactly(a, a, b, a, c, a, a, a, a, b, a, c, a, a);
  }

  @Test
  void precomputedPeriodIsTheNginxSequence() {
    assertThat(RoundRobinBalancer.smoothSequence(new int[] {5, 1, 1}))
        .containsExactly(0, 0, 1, 0, 2, 0, 0);
    assertThat(RoundRobinBalancer.smoothSequence(new int[] {2, 1})).containsExactly(0, 1, 0);
  }

  @Test
  void equalWeightsCycleEvenly() {
    List<Target> ts = targets(1, 1, 1);
    String a = ts.get(0).key(), b = ts.get(1).key(), c = ts.get(2).key();

    assertThat(pickKeys(new RoundRobinBalancer(ts), 9)).containsExactly(a, b, c, a, b, c, a, b, c);
  }

  @Test
  void weightsAreReducedByTheirGcd() {
    List<Target> ts = targets(4, 4, 4);
    String a = ts.get(0).key(), b = ts.get(1).key(), c = ts.get(2).key();

    assertThat(RoundRobinBalancer.effectiveWeights(targets(10, 20, 30).toArray(Target[]::new)))
        .containsExactly(1, 2, 3);
    // period 3, not 12: strict alternation instead of a a a a b b b b ...
    assertThat(pickKeys(new RoundRobinBalancer(ts), 6)).containsExactly(a, b, c, a, b, c);
  }

  @Test
  void hugeWeightsAreCappedButKeepEveryTargetAndTheirRatio() {
    int[] w =
        RoundRobinBalancer.effectiveWeights(
            targets(1_000_003, 2_000_000, 1).toArray(Target[]::new));

    assertThat(w[0] + w[1] + w[2]).isLessThanOrEqualTo(RoundRobinBalancer.MAX_PERIOD + 3);
    assertThat(w[2]).isEqualTo(1);
    assertThat((double) w[1] / w[0]).isCloseTo(2.0, within(0.01));
  }

  @Test
  void unavailableTargetIsSkippedAndOthersKeepTheirRatio() {
    List<Target> ts = targets(5, 1, 1);
    String a = ts.get(0).key(), b = ts.get(1).key(), c = ts.get(2).key();
    ts.get(1).state().setAvailable(false);
    Balancer rr = new RoundRobinBalancer(ts);

    Map<String, Integer> counts = count(pickKeys(rr, 60));

    assertThat(counts).doesNotContainKey(b);
    assertThat(counts).containsEntry(a, 50).containsEntry(c, 10);

    ts.get(1).state().setAvailable(true);
    assertThat(pickKeys(rr, 7)).contains(b);
  }

  @Test
  void allUnavailableOrEmptyGivesNull() {
    List<Target> ts = targets(5, 1, 1);
    ts.forEach(t -> t.state().setAvailable(false));
    Balancer rr = new RoundRobinBalancer(ts);

    assertThat(rr.pick(null)).isNull();
    assertThat(rr.pick("key")).isNull();
    assertThat(new RoundRobinBalancer(List.of()).pick(null)).isNull();

    ts.get(2).state().setAvailable(true);
    assertThat(rr.pick(null)).isSameAs(ts.get(2));
  }

  @Test
  void concurrentPicksGiveExactWeightedCountsOverWholePeriods() throws Exception {
    List<Target> ts = targets(5, 1, 1);
    Balancer rr = new RoundRobinBalancer(ts);
    int threads = 8;
    int picksPerThread = 7 * 5_000; // total is a whole number of periods

    List<Map<String, Integer>> perThread =
        runConcurrently(threads, () -> count(pickKeys(rr, picksPerThread)));

    Map<String, Integer> total = new HashMap<>();
    perThread.forEach(m -> m.forEach((k, v) -> total.merge(k, v, Integer::sum)));
    int periods = threads * picksPerThread / 7;
    assertThat(total)
        .containsEntry(ts.get(0).key(), 5 * periods)
        .containsEntry(ts.get(1).key(), periods)
        .containsEntry(ts.get(2).key(), periods)
        .hasSize(3);
  }
}
