package bulwark.config;

/** server.tls.minVersion: the lowest TLS version accepted. */
public enum TlsVersion implements ConfigName {
  TLS_V1_2("TLSv1.2"),
  TLS_V1_3("TLSv1.3");

  private final String configName;

  TlsVersion(String configName) {
    this.configName = configName;
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public String unknown(String given) {
    return "'" + given + "' must be TLSv1.2 or TLSv1.3 (older versions are not accepted)";
  }

  @Override
  public String toString() {
    return configName;
  }
}
