package bulwark.config;

import java.util.List;

/** What a remediation rule does, and which object fields name the thing it acts on. */
public enum RemediationAction implements ConfigName {
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
  @Override
  public String configName() {
    return configName;
  }

  /** The object fields this action needs, in the order they are reported. */
  public List<String> fields() {
    return fields;
  }

  @Override
  public String unknown(String given) {
    List<String> known = Names.of(RemediationAction.class);
    return "unknown action '"
        + given
        + "' (known: "
        + String.join(", ", known)
        + ")"
        + Suggest.didYouMean(given, known);
  }

  @Override
  public String toString() {
    return configName;
  }

  /** The action called {@code name} in the config, or null. */
  public static RemediationAction of(String name) {
    for (RemediationAction a : values()) {
      if (a.configName.equals(name)) return a;
    }
    return null;
  }
}
