package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.routing.PathNormalizer.RejectedPath;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer: run by {@code mvn test} in regression mode over the seeds in
 * src/test/resources/bulwark/routing/PathNormalizerFuzzTestInputs/normalize/; fuzz with
 * JAZZER_FUZZ=1.
 */
class PathNormalizerFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void normalize(byte[] input) {
    // the HTTP layer hands the path over as one char per byte
    String raw = new String(input, StandardCharsets.ISO_8859_1);
    String once;
    try {
      once = PathNormalizer.normalize(raw);
    } catch (RejectedPath e) {
      return; // the one defined rejection
    }
    assertThat(once).startsWith("/");
    assertThat(once)
        .doesNotContain("/../")
        .doesNotContain("/./")
        .doesNotContain("//")
        .doesNotEndWith("/..")
        .doesNotEndWith("/.");
    assertThat(once.toLowerCase())
        .doesNotContain("%2f")
        .doesNotContain("%5c")
        .doesNotContain("%00")
        .doesNotContain(";")
        .doesNotContain("\\");
    try {
      assertThat(PathNormalizer.normalize(once)).as("idempotent for %s", raw).isEqualTo(once);
    } catch (RejectedPath e) {
      throw new AssertionError("a normalised path was rejected: " + once + " from " + raw, e);
    }
  }
}
