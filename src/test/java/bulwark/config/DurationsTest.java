package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1} ms")
  @CsvSource({
    "250ms, 250",
    "5s, 5000",
    "1m, 60000",
    "1h, 3600000",
    "0s, 0",
    "90s, 90000",
    "' 5s ', 5000"
  })
  void parsesAWholeNumberAndOneUnit(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "5",
        "5 seconds",
        "5 s",
        "1.5s",
        "1m30s",
        "-1s",
        "5S",
        "5d",
        "5sec",
        "ms",
        "",
        "1234567890s"
      })
  void rejectsAnythingElseSayingWhatIsExpected(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Durations.parse(text))
        .withMessage("'" + text + "' is not a duration (use 250ms, 5s, 1m or 1h)");
  }

  @ParameterizedTest
  @CsvSource({
    "250ms, 250ms",
    "5s, 5s",
    "60s, 1m",
    "90s, 90s",
    "120m, 2h",
    "1500ms, 1500ms",
    "0s, 0s"
  })
  void formatsInTheLargestWholeUnit(String in, String out) {
    assertThat(Durations.format(Durations.parse(in))).isEqualTo(out);
  }
}
