package bulwark.config;

/**
 * What a check does when its backend (Redis, an introspection endpoint) fails: let the request
 * through, or refuse it.
 */
public enum FailureMode implements ConfigName {
  OPEN("open"),
  CLOSED("closed");

  private final String configName;

  FailureMode(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public String toString() {
    return configName;
  }
}
