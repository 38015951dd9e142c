package bulwark.config;

/**
 * One problem in a config file, with the field path that locates it, e.g. {@code
 * routes[2].upstream}.
 */
public record ConfigError(String path, String message) {
  @Override
  public String toString() {
    return path.isEmpty() ? message : path + ": " + message;
  }
}
