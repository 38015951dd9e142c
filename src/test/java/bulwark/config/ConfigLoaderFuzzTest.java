package bulwark.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Jazzer: the loader turns any text into a config or a {@link ConfigException}, never anything else
 * (no parser exception, no NullPointerException, no StackOverflowError from nesting or aliases).
 * {@code mvn test} runs the seeds in
 * src/test/resources/bulwark/config/ConfigLoaderFuzzTestInputs/parse/; JAZZER_FUZZ=1 fuzzes.
 */
class ConfigLoaderFuzzTest {
  private static final Map<String, String> ENV =
      Map.of("PORT", "8080", "TOKEN", "0123456789abcdef0123456789abcdef");

  @FuzzTest(maxDuration = "60s")
  void parse(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    try {
      new ConfigLoader(ENV::get).parse(yaml);
    } catch (ConfigException e) {
      // the one way to refuse a config
    }
  }
}
