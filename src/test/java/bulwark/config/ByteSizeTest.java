package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
    "0, 0",
    "512, 512",
    "512B, 512",
    "16KiB, 16384",
    "10MiB, 10485760",
    "1GiB, 1073741824",
    "' 2KiB ', 2048"
  })
  void parsesBytesAndBinaryUnits(String text, long bytes) {
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10MB", "10M", "10kb", "1.5GiB", "16 KiB", "-1", "KiB", "", "1TiB"})
  void rejectsDecimalUnitsFractionsAndNoise(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ByteSize.parse(text))
        .withMessage("'" + text + "' is not a size (use 512, 16KiB, 10MiB or 1GiB)");
  }

  @Test
  void aSizeThatOverflowsIsAnIllegalArgumentNotAnArithmeticError() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ByteSize.parse("999999999999GiB"))
        .withMessage("'999999999999GiB' is too large");
    assertThat(ByteSize.parse("999999999999KiB").bytes()).isEqualTo(999_999_999_999L * 1024);
  }

  @ParameterizedTest
  @CsvSource({
    "16384, 16KiB",
    "10485760, 10MiB",
    "1073741824, 1GiB",
    "1536, 1536",
    "0, 0",
    "1048576000, 1000MiB"
  })
  void printsInTheLargestWholeUnit(long bytes, String text) {
    assertThat(new ByteSize(bytes)).hasToString(text);
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest
  @CsvSource({"16384, 16KiB", "10485760, 10MiB", "1536, 1536B", "0, 0B", "1, 1B"})
  void theHumanFormAlwaysHasAUnitAndParsesBack(long bytes, String text) {
    assertThat(new ByteSize(bytes).human()).isEqualTo(text);
    assertThat(ByteSize.human(bytes)).isEqualTo(text);
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }
}
