package bulwark.upstream;

import static bulwark.upstream.TestTargets.targets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancersTest {

  @Test
  void namesAreExplicit() {
    assertThat(Balancers.NAMES)
        .containsExactly("round_robin", "least_request", "consistent_hash", "random");
    assertThatThrownBy(() -> Balancers.NAMES.add("x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void eachNameBuildsItsStrategy() {
    List<Target> ts = targets(1);

    assertThat(Balancers.newBalancer("round_robin", ts)).isInstanceOf(RoundRobinBalancer.class);
    assertThat(Balancers.newBalancer("least_request", ts)).isInstanceOf(LeastRequestBalancer.class);
    assertThat(Balancers.newBalancer("consistent_hash", ts))
        .isInstanceOf(ConsistentHashBalancer.class);
    assertThat(Balancers.newBalancer("random", ts)).isInstanceOf(RandomBalancer.class);
    for (String name : Balancers.NAMES) {
      assertThat(Balancers.newBalancer(name, ts).pick("k")).as(name).isSameAs(ts.get(0));
    }
  }

  @Test
  void unknownNameIsRejected() {
    assertThatThrownBy(() -> Balancers.newBalancer("RoundRobinBalancer", targets(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RoundRobinBalancer");
    assertThatThrownBy(() -> Balancers.newBalancer(null, targets(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void targetRejectsNonPositiveWeight() {
    assertThatThrownBy(() -> new Target("a:80", "a", 80, false, 0, new TargetState("a:80")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
