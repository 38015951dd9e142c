package bulwark.config;

/** An upstream's protocol: how its connections speak HTTP. */
public enum UpstreamProtocol implements ConfigName {
  /** HTTP/1.1, one exchange per connection at a time (keep-alive). */
  HTTP1("http1"),
  /** HTTP/2 over plain TCP, by prior knowledge (no Upgrade). */
  H2C("h2c"),
  /** HTTP/2 over TLS, negotiated by ALPN (h2 only: a target that does not offer it fails). */
  H2("h2"),
  /**
   * TLS with ALPN offering h2 and http/1.1, whichever the target picks; plain targets: HTTP/1.1.
   */
  AUTO("auto");

  private final String configName;

  UpstreamProtocol(String configName) {
    this.configName = configName;
  }

  /** Whether a connection of this protocol may carry several exchanges at once. */
  public boolean multiplexed() {
    return this != HTTP1;
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
