package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compression middleware: binding, defaults, and every bad-input rule with its path. */
class CompressionConfigTest {

  private static String mw(String body) {
    return USERS + "middlewares:\n  m:\n    " + body + "\n";
  }

  private static CompressionConfig compression(String body) throws ConfigException {
    return load(mw(body)).middlewares().get("m").compression();
  }

  /** The contract's commented gzip middleware, uncommented, binds as written. */
  @Test
  void theContractWithGzipUncommentedLoads() throws Exception {
    String contract = ContractTest.contract();
    String uncommented =
        contract
            .replace("  # gzip:", "  gzip:")
            .replace("  #   compression: {", "    compression: {");
    assertThat(uncommented).isNotEqualTo(contract);
    CompressionConfig c = load(uncommented, Map.of()).middlewares().get("gzip").compression();
    assertThat(c.algorithms()).containsExactly(CompressionAlgorithm.BR, CompressionAlgorithm.GZIP);
    assertThat(c.minSize()).isEqualTo(new ByteSize(1024));
    assertThat(c.types()).containsExactly("application/json", "text/*");
    assertThat(c.levels()).isEqualTo(new CompressionLevels(6, 4));
    assertThat(c.decompressRequests()).isFalse();
  }

  @Test
  void defaults() throws Exception {
    CompressionConfig c = compression("compression: {}");
    assertThat(c.algorithms()).containsExactly(CompressionAlgorithm.BR, CompressionAlgorithm.GZIP);
    assertThat(c.minSize().bytes()).isEqualTo(1024);
    assertThat(c.types()).contains("text/*", "application/json", "application/*+json");
    assertThat(c.levels().gzip()).isEqualTo(6);
    assertThat(c.levels().br()).isEqualTo(4);
    CompressionConfig set =
        compression(
            "compression: { algorithms: [gzip], minSize: 0, types: [\"*/*\"], levels: { gzip: 9, br: 11 }, decompressRequests: true }");
    assertThat(set.algorithms()).containsExactly(CompressionAlgorithm.GZIP);
    assertThat(set.minSize().bytes()).isZero();
    assertThat(set.types()).containsExactly("*/*");
    assertThat(set.levels()).isEqualTo(new CompressionLevels(9, 11));
    assertThat(set.decompressRequests()).isTrue();
  }

  @Test
  void anUnknownAlgorithmIsNamedWithItsPathAndASuggestion() {
    assertThat(errors(mw("compression: { algorithms: [brotli, gzip] }")))
        .containsExactly(
            "middlewares.m.compression.algorithms[0]: unknown algorithm 'brotli' (did you mean 'br'?)");
    assertThat(errors(mw("compression: { algorithms: [br, gzpi] }")))
        .containsExactly(
            "middlewares.m.compression.algorithms[1]: unknown algorithm 'gzpi' (did you mean 'gzip'?)");
    assertThat(errors(mw("compression: { algorithms: [zstd] }")))
        .containsExactly(
            "middlewares.m.compression.algorithms[0]: unknown algorithm 'zstd' (known: br, gzip)");
  }

  @Test
  void emptyListsAndRepeatsAreRefused() {
    assertThat(errors(mw("compression: { algorithms: [], types: [] }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.compression.algorithms: at least one algorithm is required (br, gzip)",
            "middlewares.m.compression.types: at least one media type is required (e.g. application/json)");
    assertThat(errors(mw("compression: { algorithms: [gzip, br, gzip] }")))
        .containsExactly("middlewares.m.compression.algorithms[2]: 'gzip' is listed twice");
  }

  @Test
  void aNegativeOrMalformedMinSizeIsRefused() {
    assertThat(errors(mw("compression: { minSize: -1 }")))
        .containsExactly(
            "middlewares.m.compression.minSize: '-1' is not a size (use 512, 16KiB, 10MiB or 1GiB)");
    assertThat(errors(mw("compression: { minSize: 1kb }")))
        .containsExactly(
            "middlewares.m.compression.minSize: '1kb' is not a size (use 512, 16KiB, 10MiB or 1GiB)");
  }

  @Test
  void mediaTypesAndLevelsAreChecked() {
    assertThat(
            errors(
                mw(
                    "compression: { types: [json, \"text/\", \"*/json\", \"text/**\", application/json], levels: { gzip: 0, br: 12 } }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.compression.types[0]: 'json' is not a media type (type/subtype, e.g. application/json or text/*)",
            "middlewares.m.compression.types[1]: 'text/' is not a media type (type/subtype, e.g. application/json or text/*)",
            "middlewares.m.compression.types[2]: '*/json' is not a media type (type/subtype, e.g. application/json or text/*)",
            "middlewares.m.compression.types[3]: 'text/**' is not a media type (type/subtype, e.g. application/json or text/*)",
            "middlewares.m.compression.levels.gzip: 0 must be between 1 and 9",
            "middlewares.m.compression.levels.br: 12 must be between 0 and 11");
    assertThat(errors(mw("compression: { minsize: 1KiB }")))
        .containsExactly(
            "middlewares.m.compression.minsize: unknown key 'minsize' (did you mean 'minSize'?)");
  }

  @Test
  void compressionIsOneTypeKeyAmongTheOthers() {
    assertThat(errors(mw("{ compression: {}, redirect: { scheme: https } }")))
        .containsExactly("middlewares.m: a middleware needs exactly one type key, this one has 2");
    assertThat(errors(mw("{}")).get(0)).contains("compression");
    List<String> e = errors(mw("compresion: {}"));
    assertThat(e.get(0)).contains("did you mean 'compression'?");
  }
}
