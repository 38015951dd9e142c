package bulwark.config;

/** healthCheck.active.type: how a target is probed. */
public enum HealthCheckType implements ConfigName {
  HTTP("http"),
  TCP("tcp"),
  /** A call of grpc.health.v1.Health/Check over HTTP/2 (healthCheck.active.grpc). */
  GRPC("grpc");

  private final String configName;

  HealthCheckType(String configName) {
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
