package bulwark.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class JitSettleTest {
  static JitSettle over(Long... totals) {
    Iterator<Long> it = List.of(totals).iterator();
    return new JitSettle(() -> it.next());
  }

  @Test
  void settlesAfterTwoQuietSecondsInARow() {
    JitSettle s = over(0L, 900L, 1500L, 1540L, 1800L, 1810L, 1850L);
    assertThat(s.sample()).isEqualTo(-1); // the first sample has nothing to compare with
    assertThat(s.sample()).isEqualTo(900);
    assertThat(s.sample()).isEqualTo(600);
    assertThat(s.sample()).isEqualTo(40);
    assertThat(s.settled()).isFalse(); // one quiet second
    assertThat(s.sample()).isEqualTo(260);
    assertThat(s.settled()).isFalse(); // busy again: the count starts over
    s.sample();
    assertThat(s.settled()).isFalse();
    assertThat(s.sample()).isEqualTo(40);
    assertThat(s.settled()).isTrue();
    assertThat(s.lastDelta()).isEqualTo(40);
  }

  @Test
  void aJvmThatDoesNotReportCompilationTimeNeverSettles() {
    JitSettle s = new JitSettle(() -> -1);
    for (int i = 0; i < 5; i++) assertThat(s.sample()).isEqualTo(-1);
    assertThat(s.settled()).isFalse();
  }

  @Test
  void thisJvmReportsSomething() {
    JitSettle s = JitSettle.ofThisJvm();
    s.sample();
    assertThat(s.sample()).isGreaterThanOrEqualTo(0);
  }
}
