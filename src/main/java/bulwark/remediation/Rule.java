package bulwark.remediation;

import bulwark.config.RemediationAction;
import bulwark.config.RemediationRuleConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One compiled remediation rule: which alerts it answers (alertname and exact label values) and how
 * it names the object it acts on. An object field is a fixed name, or {@code {{ labels.NAME }}}
 * (the alert's label NAME); an absent field means the alert's label of the field's own name.
 */
public record Rule(
    int index,
    String alert,
    Map<String, String> labels,
    RemediationAction action,
    Map<String, String> objects,
    double factor,
    Duration expireAfter) {
  public static final Duration DEFAULT_EXPIRY = Duration.ofMinutes(5);

  /** Compiles a validated rule (an unknown action was rejected at config load). */
  public static Rule of(int index, RemediationRuleConfig c) {
    RemediationAction a = c.action();
    if (a == null) throw new IllegalArgumentException("unknown action '" + c.action() + "'");
    Map<String, String> objects = new LinkedHashMap<>();
    Map<String, String> given =
        Map.of(
            "upstream",
            nz(c.upstream()),
            "target",
            nz(c.target()),
            "route",
            nz(c.route()),
            "middleware",
            nz(c.middleware()));
    for (String f : a.fields())
      objects.put(f, given.get(f).isEmpty() ? "{{ labels." + f + " }}" : given.get(f));
    double factor = c.factor() == null ? 1 : c.factor().fraction();
    Duration exp = c.expireAfter() == null ? DEFAULT_EXPIRY : c.expireAfter();
    return new Rule(
        index,
        c.alert(),
        c.labels() == null ? Map.of() : Map.copyOf(c.labels()),
        a,
        objects,
        factor,
        exp);
  }

  /** Whether an alert with these labels is one this rule answers. */
  public boolean matches(Map<String, String> alertLabels) {
    if (!alert.equals(alertLabels.get("alertname"))) return false;
    for (var e : labels.entrySet()) {
      if (!e.getValue().equals(alertLabels.get(e.getKey()))) return false;
    }
    return true;
  }

  /**
   * The object names for an alert with these labels (field to name, e.g. upstream to "orders").
   *
   * @throws IllegalArgumentException naming the label the alert lacks
   */
  public Map<String, String> objectsFor(Map<String, String> alertLabels) {
    Map<String, String> out = new LinkedHashMap<>();
    objects.forEach(
        (field, spec) -> {
          String label = labelRef(spec);
          String v = label == null ? spec : alertLabels.get(label);
          if (v == null || v.isEmpty())
            throw new IllegalArgumentException(
                field
                    + " comes from the alert's label '"
                    + label
                    + "', which the alert does not have");
          out.put(field, v);
        });
    return out;
  }

  /** The label NAME of a {@code {{ labels.NAME }}} object field, or null for a fixed name. */
  public static String labelRef(String spec) {
    return RemediationRuleConfig.labelRef(spec);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
