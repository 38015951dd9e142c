package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestTest {
  private static final List<String> BALANCERS =
      List.of("round_robin", "least_request", "consistent_hash", "random");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "balancr,         balancer",
    "balancers,       balancer",
    "BALANCER,        balancer",
    "timout,          timeouts",
    "hashon,          hashOn",
  })
  void aCloseKeyIsSuggested(String input, String expected) {
    assertThat(
            Suggest.didYouMean(
                input,
                List.of("targets", "balancer", "hashOn", "timeouts", "maxConnectionsPerTarget")))
        .isEqualTo(" (did you mean '" + expected + "'?)");
  }

  @Test
  void theThresholdGrowsWithTheLengthOfTheCandidate() {
    // 4 edits from a 15-letter name is close (up to a third of its length)...
    assertThat(Suggest.distance("cnsstnt_hsh", "consistent_hash")).isEqualTo(4);
    assertThat(Suggest.didYouMean("cnsstnt_hsh", BALANCERS))
        .isEqualTo(" (did you mean 'consistent_hash'?)");
    // ...2 edits is close for any name, 3 from a 6-letter name is not: the known names are listed
    // in order
    assertThat(Suggest.didYouMean("rndm", BALANCERS)).isEqualTo(" (did you mean 'random'?)");
    assertThat(Suggest.didYouMean("rnd", BALANCERS))
        .isEqualTo(" (known: round_robin, least_request, consistent_hash, random)");
  }

  @Test
  void withNoCandidatesThereIsNothingToSay() {
    assertThat(Suggest.didYouMean("auth", List.of())).isEmpty();
  }

  @ParameterizedTest(name = "{0} / {1} = {2}")
  @CsvSource({
    "kitten, sitting, 3",
    "'', abc, 3",
    "abc, '', 3",
    "same, same, 0",
    "flaw, lawn, 2",
    "ab, ba, 2"
  })
  void distanceIsTheLevenshteinDistance(String a, String b, int d) {
    assertThat(Suggest.distance(a, b)).isEqualTo(d);
    assertThat(Suggest.distance(b, a)).isEqualTo(d);
  }
}
