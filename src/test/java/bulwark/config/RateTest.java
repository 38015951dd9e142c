package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RateTest {

  @Test
  void parsesACountPerSecondMinuteOrHour() {
    assertThat(Rate.parse("10/s")).isEqualTo(new Rate(10, Duration.ofSeconds(1)));
    assertThat(Rate.parse("600/min")).isEqualTo(new Rate(600, Duration.ofMinutes(1)));
    assertThat(Rate.parse("10000/h")).isEqualTo(new Rate(10000, Duration.ofHours(1)));
    assertThat(Rate.parse(" 1/s ")).isEqualTo(new Rate(1, Duration.ofSeconds(1)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"10/m", "10/sec", "10 per second", "10", "/s", "10 /s", "-1/s", "1.5/s", ""})
  void rejectsOtherUnitsAndForms(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Rate.parse(text))
        .withMessage("'" + text + "' is not a rate (use 10/s, 600/min or 10000/h)");
  }

  @Test
  void aRateMustBeAboveZero() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Rate.parse("0/s"))
        .withMessage("a rate must be above 0");
  }
}
