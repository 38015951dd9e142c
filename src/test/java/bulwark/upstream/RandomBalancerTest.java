package bulwark.upstream;

import static bulwark.upstream.TestTargets.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RandomBalancerTest {
  private static final int N = 100_000;

  private static Map<Target, Integer> count(Balancer b, int n) {
    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(b.pick(null), 1, Integer::sum);
    }
    return counts;
  }

  private static double share(Map<Target, Integer> counts, Target t, int n) {
    return counts.getOrDefault(t, 0) / (double) n;
  }

  @Test
  void weightsAreRespected() {
    List<Target> ts = targets(1, 3, 6);

    Map<Target, Integer> counts = count(new RandomBalancer(ts), N);

    // stddev of each share is < 0.2%; +-3% never flakes but catches an unweighted pick (33% each)
    assertThat(share(counts, ts.get(0), N)).isBetween(0.07, 0.13);
    assertThat(share(counts, ts.get(1), N)).isBetween(0.27, 0.33);
    assertThat(share(counts, ts.get(2), N)).isBetween(0.57, 0.63);
  }

  @Test
  void unavailableTargetsAreExcludedAndOthersKeepTheirRatio() {
    List<Target> ts = targets(1, 6, 3);
    ts.get(1).state().setAvailable(false);

    Map<Target, Integer> counts = count(new RandomBalancer(ts), N);

    assertThat(counts).doesNotContainKey(ts.get(1));
    assertThat(share(counts, ts.get(0), N)).isBetween(0.22, 0.28);
    assertThat(share(counts, ts.get(2), N)).isBetween(0.72, 0.78);
  }

  @Test
  void noAvailableTargetGivesNull() {
    List<Target> ts = targets(1, 2);
    ts.forEach(t -> t.state().setAvailable(false));

    assertThat(new RandomBalancer(ts).pick(null)).isNull();
    assertThat(new RandomBalancer(List.of()).pick(null)).isNull();
  }
}
