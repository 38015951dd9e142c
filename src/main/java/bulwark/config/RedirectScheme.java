package bulwark.config;

/** redirect.scheme: the scheme of the Location. */
public enum RedirectScheme implements ConfigName {
  HTTP("http"),
  HTTPS("https");

  private final String configName;

  RedirectScheme(String configName) {
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
