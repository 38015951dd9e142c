package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PercentTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "50%, 50, 0.5",
    "12.5%, 12.5, 0.125",
    "0%, 0, 0",
    "100%, 100, 1",
    "100.0%, 100, 1",
    "0.0001%, 0.0001, 0.000001"
  })
  void parsesZeroToOneHundred(String text, double value, double fraction) {
    Percent p = Percent.parse(text);
    assertThat(p.value()).isCloseTo(value, within(1e-12));
    assertThat(p.fraction()).isCloseTo(fraction, within(1e-12));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.5", "50", "50 %", "-1%", "12.34567%", "1000%", "%", ""})
  void rejectsWhatIsNotAPercent(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Percent.parse(text))
        .withMessage("'" + text + "' is not a percent (use 50%)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"101%", "100.01%", "999%"})
  void rejectsMoreThanOneHundred(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Percent.parse(text))
        .withMessage("'" + text + "' is over 100%");
  }
}
