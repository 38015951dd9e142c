package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.testing.MutableClock;
import org.junit.jupiter.api.Test;

class BurstWindowsTest {
  private static int crossings(BurstWindows w, String mw, String route, int refusals) {
    int n = 0;
    for (int i = 0; i < refusals; i++) if (w.refused(mw, route) != null) n++;
    return n;
  }

  @Test
  void oneCrossingPerWindowAndANewWindowCanCrossAgain() {
    MutableClock clock = new MutableClock();
    BurstWindows w = new BurstWindows(3, 10_000, clock);
    long start = clock.millis();
    assertThat(crossings(w, "m", "r", 3)).as("at the threshold: not above it").isZero();
    BurstWindows.Window crossed = w.refused("m", "r");
    assertThat(crossed).isNotNull();
    assertThat(crossed.count.get()).isEqualTo(4);
    assertThat(crossed.startMillis).isEqualTo(start);
    assertThat(crossings(w, "m", "r", 100)).as("the rest of the window").isZero();
    clock.advance(java.time.Duration.ofMillis(9_999));
    assertThat(crossings(w, "m", "r", 10)).as("still the same window").isZero();
    clock.advance(java.time.Duration.ofMillis(1));
    assertThat(crossings(w, "m", "r", 10)).as("a new window").isEqualTo(1);
  }

  @Test
  void eachMiddlewareAndRouteHasItsOwnWindow() {
    BurstWindows w = new BurstWindows(2, 60_000, new MutableClock());
    assertThat(crossings(w, "m", "r1", 2)).isZero();
    assertThat(crossings(w, "m", "r2", 2)).isZero();
    assertThat(crossings(w, "other", "r1", 2)).isZero();
    assertThat(crossings(w, "m", "r1", 1)).isEqualTo(1);
    assertThat(crossings(w, "m", "r2", 5)).isEqualTo(1);
  }
}
