package bulwark.config;

/** tracing.protocol: the OTLP transport. */
public enum TracingProtocol implements ConfigName {
  HTTP_PROTOBUF("http/protobuf"),
  GRPC("grpc");

  private final String configName;

  TracingProtocol(String configName) {
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
