package bulwark.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config that cannot be used; carries every error found, not only the first. */
public final class ConfigException extends Exception {
  private final List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(
        errors.size()
            + " config error(s):\n"
            + errors.stream().map(e -> "  " + e).collect(Collectors.joining("\n")));
    this.errors = List.copyOf(errors);
  }

  public List<ConfigError> errors() {
    return errors;
  }
}
