package bulwark.remediation;

import bulwark.config.TargetConfig;

/**
 * How an ejectTarget action names a target: its address "host:port" (as admin /upstreams shows it),
 * or its URL.
 */
public final class Targets {
  private Targets() {}

  /** The live-state key of a target named by address or URL. */
  public static String key(String spec) {
    return TargetConfig.addressOf(spec);
  }
}
