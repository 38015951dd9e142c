package bulwark.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** compression.algorithms: a content coding the compression middleware can produce. */
public enum CompressionAlgorithm implements ConfigName {
  /** Brotli (RFC 7932), through brotli4j's native encoder. */
  BR("br"),
  /** gzip (RFC 1952), through the JDK's zlib. */
  GZIP("gzip");

  /** Names people write for these codings that are not their Content-Encoding tokens. */
  private static final Map<String, String> ALIASES =
      Map.of("brotli", "br", "x-gzip", "gzip", "gz", "gzip", "deflate-gzip", "gzip");

  private final String configName;

  CompressionAlgorithm(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public String unknown(String given) {
    String alias = ALIASES.get(given.toLowerCase(Locale.ROOT));
    String hint =
        alias != null
            ? " (did you mean '" + alias + "'?)"
            : Suggest.didYouMean(given, List.of(BR.configName, GZIP.configName));
    return "unknown algorithm '" + given + "'" + hint;
  }

  @Override
  public String toString() {
    return configName;
  }
}
