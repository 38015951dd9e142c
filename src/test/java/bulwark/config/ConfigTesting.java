package bulwark.config;

import static org.assertj.core.api.Assertions.fail;

import java.util.List;
import java.util.Map;

/** Helpers shared by the config tests. */
final class ConfigTesting {
  /** A valid upstream section, for snippets that need one. */
  static final String USERS =
      """
      upstreams:
        users:
          targets: [ { url: "http://127.0.0.1:8081" } ]
      """;

  static final String TOKEN_32 = "0123456789abcdef0123456789abcdef";

  private ConfigTesting() {}

  static BulwarkConfig load(String yaml) throws ConfigException {
    return load(yaml, Map.of());
  }

  static BulwarkConfig load(String yaml, Map<String, String> env) throws ConfigException {
    return new ConfigLoader(env::get).parse(yaml);
  }

  /** The errors the loader reports for {@code yaml}, as "path: message"; fails when it loads. */
  static List<String> errors(String yaml) {
    return errors(yaml, Map.of());
  }

  static List<String> errors(String yaml, Map<String, String> env) {
    try {
      BulwarkConfig cfg = load(yaml, env);
      return fail("expected config errors, but it loaded as %s%nfrom:%n%s", cfg, yaml);
    } catch (ConfigException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
  }
}
