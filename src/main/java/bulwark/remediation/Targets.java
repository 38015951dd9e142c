package bulwark.remediation;

import bulwark.config.TargetConfig;
import bulwark.config.UpstreamConfig;
import bulwark.upstream.UpstreamRuntime;

/** How an ejectTarget action names a target: its address "host:port" (as admin /upstreams shows it), or its URL. */
public final class Targets {
  private Targets() {}

  /** The live-state key of a target named by address or URL. */
  public static String key(String spec) {
    try {
      return spec.contains("://") ? UpstreamRuntime.targetKey(spec) : spec;
    } catch (RuntimeException e) {
      return spec;
    }
  }

  /** The target of {@code u} that {@code spec} names, or null. */
  public static TargetConfig find(UpstreamConfig u, String spec) {
    String key = key(spec);
    for (TargetConfig t : u.targets()) {
      try {
        if (UpstreamRuntime.targetKey(t.url()).equals(key)) return t;
      } catch (RuntimeException e) {
        // a bad url is reported by its own check
      }
    }
    return null;
  }
}
