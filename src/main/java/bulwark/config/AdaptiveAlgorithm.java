package bulwark.config;

/** overload.adaptive.algorithm: how the adaptive concurrency limit moves. */
public enum AdaptiveAlgorithm implements ConfigName {
  AIMD("aimd"),
  GRADIENT("gradient");

  private final String configName;

  AdaptiveAlgorithm(String configName) {
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
