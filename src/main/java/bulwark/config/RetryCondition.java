package bulwark.config;

/** A retry.on condition other than an HTTP status. */
public enum RetryCondition implements ConfigName {
  CONNECT_FAILURE("connect_failure"),
  RESET("reset"),
  TIMEOUT("timeout");

  private final String configName;

  RetryCondition(String configName) {
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
