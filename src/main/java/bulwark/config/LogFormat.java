package bulwark.config;

/** observability.logFormat: the application log's format. */
public enum LogFormat implements ConfigName {
  AUTO("auto"),
  JSON("json"),
  TEXT("text");

  private final String configName;

  LogFormat(String configName) {
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
