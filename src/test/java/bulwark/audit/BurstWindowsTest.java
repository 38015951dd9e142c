package bulwark.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BurstWindowsTest {
  /** A clock the test moves. */
  static final class TestClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_000_000);

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return Instant.ofEpochMilli(millis.get()); }
    @Override public long millis() { return millis.get(); }
  }

  private static int crossings(BurstWindows w, String mw, String route, int refusals) {
    int n = 0;
    for (int i = 0; i < refusals; i++) if (w.refused(mw, route) != null) n++;
    return n;
  }

  @Test
  void oneCrossingPerWindowAndANewWindowCanCrossAgain() {
    TestClock clock = new TestClock();
    BurstWindows w = new BurstWindows(3, 10_000, clock);
    assertThat(crossings(w, "m", "r", 3)).as("at the threshold: not above it").isZero();
    BurstWindows.Window crossed = w.refused("m", "r");
    assertThat(crossed).isNotNull();
    assertThat(crossed.count.get()).isEqualTo(4);
    assertThat(crossed.startMillis).isEqualTo(1_000_000);
    assertThat(crossings(w, "m", "r", 100)).as("the rest of the window").isZero();
    clock.millis.addAndGet(9_999);
    assertThat(crossings(w, "m", "r", 10)).as("still the same window").isZero();
    clock.millis.addAndGet(1);
    assertThat(crossings(w, "m", "r", 10)).as("a new window").isEqualTo(1);
  }

  @Test
  void eachMiddlewareAndRouteHasItsOwnWindow() {
    BurstWindows w = new BurstWindows(2, 60_000, new TestClock());
    assertThat(crossings(w, "m", "r1", 2)).isZero();
    assertThat(crossings(w, "m", "r2", 2)).isZero();
    assertThat(crossings(w, "other", "r1", 2)).isZero();
    assertThat(crossings(w, "m", "r1", 1)).isEqualTo(1);
    assertThat(crossings(w, "m", "r2", 5)).isEqualTo(1);
  }
}
