package bulwark.config;

/** circuitBreaker.windowType: what the failure-rate window counts. */
public enum WindowType implements ConfigName {
  COUNT("count"),
  TIME("time");

  private final String configName;

  WindowType(String configName) {
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
