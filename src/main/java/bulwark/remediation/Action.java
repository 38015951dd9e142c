package bulwark.remediation;

/** What a rule does, and which object field names the thing it acts on. */
public enum Action {
  EJECT_TARGET("ejectTarget"),
  TIGHTEN_RATE_LIMIT("tightenRateLimit"),
  OPEN_BREAKER("openBreaker"),
  USE_FALLBACK("useFallback");

  private final String configName;

  Action(String configName) {
    this.configName = configName;
  }

  /** The name in the config and in every report, metric and audit event. */
  public String configName() {
    return configName;
  }

  /** The action called {@code name} in the config, or null. */
  public static Action of(String name) {
    for (Action a : values()) {
      if (a.configName.equals(name)) return a;
    }
    return null;
  }
}
