package bulwark.config;

import java.util.List;

/** What a remediation rule does, and which object fields name the thing it acts on. */
public enum RemediationAction {
  EJECT_TARGET("ejectTarget", "upstream", "target"),
  TIGHTEN_RATE_LIMIT("tightenRateLimit", "middleware"),
  OPEN_BREAKER("openBreaker", "upstream"),
  USE_FALLBACK("useFallback", "route");

  private final String configName;
  private final List<String> fields;

  RemediationAction(String configName, String... fields) {
    this.configName = configName;
    this.fields = List.of(fields);
  }

  /** The name in the config and in every report, metric and audit event. */
  public String configName() {
    return configName;
  }

  /** The object fields this action needs, in the order they are reported. */
  public List<String> fields() {
    return fields;
  }

  /** The action called {@code name} in the config, or null. */
  public static RemediationAction of(String name) {
    for (RemediationAction a : values()) {
      if (a.configName.equals(name)) return a;
    }
    return null;
  }
}
