package bulwark.config;

/** circuitBreaker.scope: one breaker per upstream, or one per route using it. */
public enum BreakerScope implements ConfigName {
  UPSTREAM("upstream"),
  ROUTE("route");

  private final String configName;

  BreakerScope(String configName) {
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
