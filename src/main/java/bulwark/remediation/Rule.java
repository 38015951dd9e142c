package bulwark.remediation;

import bulwark.config.RemediationRuleConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One compiled remediation rule: which alerts it answers (alertname and exact label values) and how
 * it names the object it acts on. An object field is a fixed name, or {@code {{ labels.NAME }}}
 * (the alert's label NAME); an absent field means the alert's label of the field's own name.
 */
public record Rule(int index, String alert, Map<String, String> labels, Action action, Map<String, String> objects, double factor, Duration expireAfter) {
  public static final Duration DEFAULT_EXPIRY = Duration.ofMinutes(5);
  public static final Duration MAX_EXPIRY = Duration.ofHours(24);
  private static final Pattern LABEL_REF = Pattern.compile("\\{\\{\\s*labels\\.([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

  /** The object fields each action needs, in the order they are reported. */
  public static String[] fields(Action a) {
    return switch (a) {
      case EJECT_TARGET -> new String[] {"upstream", "target"};
      case TIGHTEN_RATE_LIMIT -> new String[] {"middleware"};
      case OPEN_BREAKER -> new String[] {"upstream"};
      case USE_FALLBACK -> new String[] {"route"};
    };
  }

  /** Compiles a validated rule (an unknown action was rejected at config load). */
  public static Rule of(int index, RemediationRuleConfig c) {
    Action a = Action.of(c.action());
    if (a == null) throw new IllegalArgumentException("unknown action '" + c.action() + "'");
    Map<String, String> objects = new LinkedHashMap<>();
    Map<String, String> given = Map.of("upstream", nz(c.upstream()), "target", nz(c.target()), "route", nz(c.route()), "middleware", nz(c.middleware()));
    for (String f : fields(a)) objects.put(f, given.get(f).isEmpty() ? "{{ labels." + f + " }}" : given.get(f));
    double factor = c.factor() == null ? 1 : c.factor().fraction();
    Duration exp = c.expireAfter() == null ? DEFAULT_EXPIRY : c.expireAfter();
    return new Rule(index, c.alert(), c.labels() == null ? Map.of() : Map.copyOf(c.labels()), a, objects, factor, exp);
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
    objects.forEach((field, spec) -> {
      String label = labelRef(spec);
      String v = label == null ? spec : alertLabels.get(label);
      if (v == null || v.isEmpty()) throw new IllegalArgumentException(field + " comes from the alert's label '" + label + "', which the alert does not have");
      out.put(field, v);
    });
    return out;
  }

  /** The label NAME of a {@code {{ labels.NAME }}} object field, or null for a fixed name. */
  public static String labelRef(String spec) {
    Matcher m = LABEL_REF.matcher(spec.trim());
    return m.matches() ? m.group(1) : null;
  }

  /** Whether a field value looks like a template but is not one ({{ ... }} of another form). */
  public static boolean badTemplate(String spec) {
    return spec != null && spec.contains("{{") && labelRef(spec) == null;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
