package bulwark.config;

/** rateLimit.scope: where the buckets live. */
public enum RateLimitScope implements ConfigName {
  LOCAL("local"),
  CLUSTER("cluster");

  private final String configName;

  RateLimitScope(String configName) {
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
