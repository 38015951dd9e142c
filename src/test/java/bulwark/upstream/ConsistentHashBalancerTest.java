package bulwark.upstream;

import static bulwark.upstream.TestTargets.target;
import static bulwark.upstream.TestTargets.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsistentHashBalancerTest {
  private static final int KEYS = 10_000;
  private static final double SLACK = 0.05;

  private static List<String> requestKeys() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      keys.add("user-" + i);
    }
    return keys;
  }

  private static Map<String, Target> owners(Balancer b) {
    Map<String, Target> owners = new HashMap<>();
    for (String k : requestKeys()) {
      owners.put(k, b.pick(k));
    }
    return owners;
  }

  @Test
  void sameKeyGivesSameTargetRegardlessOfListOrder() {
    List<Target> ts = targets(1, 1, 1, 1, 1);
    List<Target> reversed = new ArrayList<>(ts);
    Collections.reverse(reversed);
    Balancer b = new ConsistentHashBalancer(ts);

    Map<String, Target> first = owners(b);

    assertThat(owners(b)).isEqualTo(first);
    assertThat(owners(new ConsistentHashBalancer(reversed))).isEqualTo(first);
    assertThat(new HashSet<>(first.values())).hasSize(5);
  }

  @Test
  void keysAreRoughlyBalanced() {
    List<Target> ts = targets(1, 1, 1, 1, 1);

    Map<Target, Integer> counts = new HashMap<>();
    owners(new ConsistentHashBalancer(ts)).values().forEach(t -> counts.merge(t, 1, Integer::sum));

    assertThat(counts).hasSize(5);
    counts.values().forEach(c -> assertThat(c / (double) KEYS).isBetween(0.10, 0.30));
  }

  @Test
  void heavierTargetOwnsProportionallyMoreKeys() {
    List<Target> ts = targets(3, 1, 1);

    long heavy =
        owners(new ConsistentHashBalancer(ts)).values().stream()
            .filter(t -> t == ts.get(0))
            .count();

    assertThat(heavy / (double) KEYS).isBetween(0.45, 0.75); // expected 60%
  }

  @Test
  void removingATargetMovesOnlyItsKeys() {
    List<Target> five = targets(1, 1, 1, 1, 1);
    Target removed = five.get(2);
    List<Target> four = new ArrayList<>(five);
    four.remove(removed);

    Map<String, Target> before = owners(new ConsistentHashBalancer(five));
    Map<String, Target> after = owners(new ConsistentHashBalancer(four));

    int moved = 0;
    for (String k : requestKeys()) {
      if (!before.get(k).equals(after.get(k))) {
        moved++;
        assertThat(before.get(k)).as("moved key %s", k).isEqualTo(removed);
      } else {
        assertThat(before.get(k)).isNotEqualTo(removed);
      }
    }
    assertThat(moved).isPositive();
    assertThat(moved / (double) KEYS).isLessThanOrEqualTo(1.0 / 5 + SLACK);
  }

  @Test
  void addingATargetMovesKeysOnlyToIt() {
    List<Target> five = targets(1, 1, 1, 1, 1);
    List<Target> six = new ArrayList<>(five);
    Target added = target("10.0.0.6:8080", 1);
    six.add(added);

    Map<String, Target> before = owners(new ConsistentHashBalancer(five));
    Map<String, Target> after = owners(new ConsistentHashBalancer(six));

    int moved = 0;
    for (String k : requestKeys()) {
      if (!before.get(k).equals(after.get(k))) {
        moved++;
        assertThat(after.get(k)).as("moved key %s", k).isEqualTo(added);
      }
    }
    assertThat(moved).isPositive();
    assertThat(moved / (double) KEYS).isLessThanOrEqualTo(1.0 / 6 + SLACK);
  }

  @Test
  void unavailableOwnerFallsThroughToNextTargetExactlyLikeRemoval() {
    List<Target> ts = targets(1, 1, 1, 1, 1);
    Target down = ts.get(1);
    List<Target> without = new ArrayList<>(ts);
    without.remove(down);
    Balancer b = new ConsistentHashBalancer(ts);
    Map<String, Target> original = owners(b);

    down.state().setAvailable(false);
    Map<String, Target> whileDown = owners(b);

    assertThat(whileDown.values()).doesNotContain(down);
    assertThat(owners(b)).isEqualTo(whileDown); // stable
    // walking clockwise past the unavailable owner equals the ring without it
    assertThat(whileDown).isEqualTo(owners(new ConsistentHashBalancer(without)));
    for (String k : requestKeys()) {
      if (original.get(k) != down) {
        assertThat(whileDown.get(k)).isSameAs(original.get(k));
      }
    }

    down.state().setAvailable(true);
    assertThat(owners(b)).isEqualTo(original);
  }

  @Test
  void noAvailableTargetGivesNull() {
    List<Target> ts = targets(1, 1, 1);
    ts.forEach(t -> t.state().setAvailable(false));
    Balancer b = new ConsistentHashBalancer(ts);

    assertThat(b.pick("user-1")).isNull();
    assertThat(b.pick(null)).isNull();
    assertThat(new ConsistentHashBalancer(List.of()).pick("user-1")).isNull();
  }

  @Test
  void nullKeyIsBalancedLikeRandomOverAvailableTargets() {
    List<Target> ts = targets(1, 1, 1);
    ts.get(0).state().setAvailable(false);
    Balancer b = new ConsistentHashBalancer(ts);

    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      counts.merge(b.pick(null), 1, Integer::sum);
    }

    // a key-based pick would send every null to one target
    assertThat(counts).containsOnlyKeys(ts.get(1), ts.get(2));
    counts.values().forEach(c -> assertThat(c).isBetween(4_000, 6_000));
  }
}
