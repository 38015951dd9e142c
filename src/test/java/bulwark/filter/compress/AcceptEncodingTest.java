package bulwark.filter.compress;

import static bulwark.config.CompressionAlgorithm.BR;
import static bulwark.config.CompressionAlgorithm.GZIP;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.CompressionAlgorithm;
import org.junit.jupiter.api.Test;

/** Accept-Encoding against the configured codings: q-values, '*', ties by configured order. */
class AcceptEncodingTest {
  static final CompressionAlgorithm[] BR_FIRST = {BR, GZIP};
  static final CompressionAlgorithm[] GZIP_FIRST = {GZIP, BR};

  @Test
  void theHighestQValueWinsAndTiesGoToTheConfiguredOrder() {
    assertThat(AcceptEncoding.choose("gzip, deflate, br", BR_FIRST)).isEqualTo(BR);
    assertThat(AcceptEncoding.choose("gzip, deflate, br", GZIP_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("br;q=0.5, gzip;q=0.8", BR_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("br;q=1.0, gzip;q=0.999", GZIP_FIRST)).isEqualTo(BR);
    assertThat(AcceptEncoding.choose("gzip;q=0.5,br;q=0.5", GZIP_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("GZIP", BR_FIRST)).as("case-insensitive").isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("x-gzip", BR_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose(" br ; q = 0.7 , gzip ; q=0.2", GZIP_FIRST)).isEqualTo(BR);
  }

  @Test
  void zeroExcludesAndUnnamedCodingsAreNotAccepted() {
    assertThat(AcceptEncoding.choose("br;q=0, gzip;q=0", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("br;q=0", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("deflate, identity", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("gzip", new CompressionAlgorithm[] {BR})).isNull();
    assertThat(AcceptEncoding.choose("br;q=0.000", BR_FIRST)).isNull();
  }

  @Test
  void theStarCoversEveryCodingNotNamed() {
    assertThat(AcceptEncoding.choose("*", BR_FIRST)).isEqualTo(BR);
    assertThat(AcceptEncoding.choose("*", GZIP_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("br;q=0, *", BR_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("*;q=0, gzip", BR_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("*;q=0", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("gzip;q=0.4, *;q=0.6", GZIP_FIRST)).isEqualTo(BR);
  }

  @Test
  void noHeaderAnEmptyOneOrMalformedQValuesAskForNothing() {
    assertThat(AcceptEncoding.choose(null, BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose(" , ", BR_FIRST)).isNull();
    assertThat(AcceptEncoding.choose("br;q=2", BR_FIRST)).as("over 1").isNull();
    assertThat(AcceptEncoding.choose("br;q=abc, gzip;q=0.1", BR_FIRST)).isEqualTo(GZIP);
    assertThat(AcceptEncoding.choose("br;q=0.1234", BR_FIRST)).as("four decimals").isNull();
    assertThat(AcceptEncoding.choose("br;level=3", BR_FIRST)).as("other parameters").isEqualTo(BR);
  }
}
