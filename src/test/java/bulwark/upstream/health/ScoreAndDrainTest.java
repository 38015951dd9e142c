package bulwark.upstream.health;

import static bulwark.upstream.health.HealthTesting.passWithCpu;
import static bulwark.upstream.health.HealthTesting.resourcesOnly;
import static bulwark.upstream.health.HealthTesting.targets;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import org.junit.jupiter.api.Test;

/** The score and the drain on their own, and what a reload with another floor does to a drain. */
class ScoreAndDrainTest {

  private static void check(ScoreAndDrain s, Target t, CheckResult r) {
    TargetHealth h = t.state().health();
    synchronized (h) {
      s.record(t, h, r);
    }
  }

  @Test
  void drainsUnderTheFloorAndRecoversOnlyAtTheFloorPlusTheHysteresis() {
    Target t = targets(1).get(0);
    ScoreAndDrain s = new ScoreAndDrain("u", resourcesOnly(30));

    check(s, t, passWithCpu(0.71)); // 29
    assertThat(t.state().score()).isEqualTo(29);
    assertThat(t.available()).isFalse();
    check(s, t, passWithCpu(0.66)); // 34: at the floor, under floor + 5
    assertThat(t.available()).isFalse();
    check(s, t, passWithCpu(0.65)); // 35
    assertThat(t.available()).isTrue();
    check(s, t, passWithCpu(0.70)); // 30: at the floor is not under it
    assertThat(t.available()).isTrue();
  }

  @Test
  void aLostCheckLowersTheScoreButMovesNoDrain() {
    Target t = targets(1).get(0);
    ScoreAndDrain s = new ScoreAndDrain("u", resourcesOnly(30));
    check(s, t, passWithCpu(0.9)); // 10: drained
    assertThat(t.available()).isFalse();

    check(s, t, CheckResult.unreachable("connection refused"));

    assertThat(t.state().score()).as("the last answer's resources part is kept").isEqualTo(10);
    assertThat(t.state().health().drained()).isTrue();
  }

  @Test
  void aReloadEndsADrainItsNewFloorWouldNotMakeAndKeepsTheOthers() {
    Target t = targets(1).get(0);
    check(new ScoreAndDrain("u", resourcesOnly(50)), t, passWithCpu(0.6)); // 40 < 50
    assertThat(t.available()).isFalse();

    // a floor of 40 would recover it only at 45: still drained
    new ScoreAndDrain("u", resourcesOnly(40)).carryOver(t.state().health());
    assertThat(t.available()).isFalse();

    new ScoreAndDrain("u", resourcesOnly(35)).carryOver(t.state().health());
    assertThat(t.state().health().drained()).isFalse();
    assertThat(t.available()).isTrue();
    assertThat(t.state().score()).as("the score itself is kept").isEqualTo(40);
  }

  @Test
  void aReloadWithoutAFloorEndsEveryDrain() {
    Target t = targets(1).get(0);
    check(new ScoreAndDrain("u", resourcesOnly(50)), t, passWithCpu(0.99));
    assertThat(t.available()).isFalse();

    new ScoreAndDrain("u", resourcesOnly(0)).carryOver(t.state().health());

    assertThat(t.available()).isTrue();
  }
}
