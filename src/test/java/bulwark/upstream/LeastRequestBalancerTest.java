package bulwark.upstream;

import static bulwark.upstream.TestTargets.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeastRequestBalancerTest {

  private static void inFlight(Target t, int n) {
    for (int i = 0; i < n; i++) {
      t.state().begin();
    }
  }

  private static Map<Target, Integer> count(Balancer b, int n) {
    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(b.pick(null), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void idleTargetAlwaysBeatsBusyOneWhenOnlyTwoExist() {
    List<Target> ts = targets(1, 1);
    Target busy = ts.get(0), idle = ts.get(1);
    inFlight(busy, 10);
    Balancer b = new LeastRequestBalancer(ts);

    assertThat(count(b, 2_000)).containsOnlyKeys(idle);

    inFlight(idle, 9); // still fewer than busy
    assertThat(count(b, 2_000)).containsOnlyKeys(idle);
  }

  @Test
  void weightScalesInFlightLoad() {
    List<Target> ts = targets(3, 1);
    Target heavy = ts.get(0), light = ts.get(1);
    Balancer b = new LeastRequestBalancer(ts);

    inFlight(heavy, 2); // 2/3 per weight
    inFlight(light, 1); // 1/1 per weight
    assertThat(count(b, 2_000)).containsOnlyKeys(heavy);

    inFlight(heavy, 2); // 4/3 per weight > 1/1
    assertThat(count(b, 2_000)).containsOnlyKeys(light);
  }

  @Test
  void tiesAreBrokenInProportionToWeight() {
    List<Target> ts = targets(3, 1);
    Balancer b = new LeastRequestBalancer(ts);
    int n = 40_000;

    Map<Target, Integer> counts = count(b, n);

    // expected 75% (stddev ~0.2%): bounds are wide enough never to flake
    assertThat(counts.get(ts.get(0)) / (double) n).isBetween(0.65, 0.85);
  }

  @Test
  void mostLoadedOfSeveralIsNeverPicked() {
    List<Target> ts = targets(1, 1, 1);
    inFlight(ts.get(1), 5);
    inFlight(ts.get(2), 10);
    Balancer b = new LeastRequestBalancer(ts);

    Map<Target, Integer> counts = count(b, 3_000);

    assertThat(counts).doesNotContainKey(ts.get(2));
    // the idle one wins every draw it is part of (2/3), the middle one the rest (1/3)
    assertThat(counts.get(ts.get(0))).isBetween(1_700, 2_300);
    assertThat(counts.get(ts.get(1))).isBetween(700, 1_300);
  }

  @Test
  void loadStaysBalancedWhenPicksBeginRequests() {
    List<Target> ts = targets(1, 1);
    Balancer b = new LeastRequestBalancer(ts);

    for (int i = 0; i < 1_000; i++) {
      b.pick(null).state().begin();
      assertThat(Math.abs(ts.get(0).state().inFlight() - ts.get(1).state().inFlight()))
          .isLessThanOrEqualTo(1);
    }
  }

  @Test
  void unavailableTargetsAreNeverPicked() {
    List<Target> ts = targets(1, 1, 1);
    Target busy = ts.get(2);
    inFlight(busy, 10);
    ts.get(0).state().setAvailable(false);
    ts.get(1).state().setAvailable(false);
    Balancer b = new LeastRequestBalancer(ts);

    assertThat(count(b, 500)).containsOnlyKeys(busy);

    busy.state().setAvailable(false);
    assertThat(b.pick(null)).isNull();
    assertThat(new LeastRequestBalancer(List.of()).pick(null)).isNull();
  }

  @Test
  void singleTargetIsReturned() {
    List<Target> ts = targets(2);
    inFlight(ts.get(0), 100);

    assertThat(new LeastRequestBalancer(ts).pick(null)).isSameAs(ts.get(0));
  }
}
