package bulwark.upstream;

import static bulwark.upstream.TestTargets.runConcurrently;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetState;
import bulwark.upstream.target.TargetStates;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetStatesTest {

  @Test
  void stateForReturnsOneInstancePerKey() {
    TargetStates states = new TargetStates();

    TargetState a = states.stateFor("a:80");

    assertThat(states.stateFor("a:80")).isSameAs(a);
    assertThat(states.stateFor("b:80")).isNotSameAs(a);
    assertThat(a.key()).isEqualTo("a:80");
    assertThat(states.size()).isEqualTo(2);
  }

  @Test
  void retainOnlyKeepsStatesOfConfiguredKeysAndDropsOthers() {
    TargetStates states = new TargetStates();
    TargetState kept = states.stateFor("a:80");
    TargetState dropped = states.stateFor("b:80");
    kept.begin();
    kept.setAvailable(false);
    dropped.begin();

    states.retainOnly(List.of("a:80", "c:80"));

    assertThat(states.size()).isEqualTo(1);
    TargetState again = states.stateFor("a:80");
    assertThat(again).isSameAs(kept);
    assertThat(again.inFlight()).isEqualTo(1);
    assertThat(again.available()).isFalse();

    TargetState fresh = states.stateFor("b:80");
    assertThat(fresh).isNotSameAs(dropped);
    assertThat(fresh.inFlight()).isZero();
    assertThat(states.size()).isEqualTo(2);
  }

  @Test
  void endNeverGoesBelowZero() {
    TargetState s = new TargetState("a:80");

    s.end();
    assertThat(s.inFlight()).isZero();

    s.begin();
    s.begin();
    assertThat(s.inFlight()).isEqualTo(2);
    s.end();
    s.end();
    s.end();
    assertThat(s.inFlight()).isZero();

    s.begin();
    assertThat(s.inFlight()).isEqualTo(1);
  }

  @Test
  void availabilityDefaultsToTrueAndCanBeToggled() {
    TargetState s = new TargetState("a:80");
    Target t = new Target("a:80", "a", 80, false, 1, s);

    assertThat(t.available()).isTrue();
    s.setAvailable(false);
    assertThat(t.available()).isFalse();
    s.setAvailable(true);
    assertThat(t.available()).isTrue();
  }

  @Test
  void concurrentBeginAndEndBalanceOut() throws Exception {
    TargetState s = new TargetState("a:80");
    int perThread = 20_000;

    runConcurrently(
        8,
        () -> {
          for (int i = 0; i < perThread; i++) {
            s.begin();
          }
          return null;
        });
    assertThat(s.inFlight()).isEqualTo(8 * perThread);

    runConcurrently(
        8,
        () -> {
          for (int i = 0; i < perThread + 100; i++) { // more ends than begins
            s.end();
          }
          return null;
        });
    assertThat(s.inFlight()).isZero();
  }
}
