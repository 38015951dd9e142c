package bulwark.config;

/** Where the routing configuration (upstreams, middlewares, routes, groups...) comes from. */
public enum ConfigSourceType implements ConfigName {
  /** The config file itself, reloaded when it changes. */
  FILE("file"),
  /** Keys under a prefix in etcd, watched. */
  ETCD("etcd");

  private final String configName;

  ConfigSourceType(String configName) {
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
