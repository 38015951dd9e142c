package bulwark.config;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One rule: an alert (by alertname and label values) to one action on one object. Each object field
 * (upstream, target, route, middleware) is a fixed name, or {@code {{ labels.NAME }}} to take it
 * from the alert's label NAME; absent, it is taken from the label of the same name.
 */
public record RemediationRuleConfig(
    @Doc(value = "The alertname this rule answers.", required = true) String alert,
    @Doc("Further labels the alert must carry, with exactly these values.")
        Map<String, String> labels,
    @Doc(
            value =
                "What to do while the alert fires: ejectTarget (upstream, target), tightenRateLimit (middleware, factor), openBreaker (upstream) or useFallback (route).",
            required = true)
        RemediationAction action,
    @Doc(
            "ejectTarget, openBreaker: the upstream; a name, or {{ labels.NAME }}. Absent: the alert's label upstream.")
        String upstream,
    @Doc(
            "ejectTarget: the target, as host:port (as in admin /upstreams) or its URL; or {{ labels.NAME }}. Absent: the alert's label target.")
        String target,
    @Doc(
            "useFallback: the route (it must have a fallback); a name, or {{ labels.NAME }}. Absent: the alert's label route.")
        String route,
    @Doc(
            "tightenRateLimit: the rateLimit middleware; a name, or {{ labels.NAME }}. Absent: the alert's label middleware.")
        String middleware,
    @Doc(
            value =
                "tightenRateLimit: the share of the configured rate and burst allowed while the action holds (at least one request per period).",
            unit = "percent")
        Percent factor,
    @Doc(
            value =
                "The action is undone after this long (at most 24h), or when the alert resolves, whichever comes first.",
            unit = "duration",
            dflt = "5m")
        Duration expireAfter) {
  /** The longest expireAfter. */
  public static final Duration MAX_EXPIRY = Duration.ofHours(24);

  private static final Pattern LABEL_REF =
      Pattern.compile("\\{\\{\\s*labels\\.([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

  /** The label NAME of a {@code {{ labels.NAME }}} object field, or null for a fixed name. */
  public static String labelRef(String spec) {
    Matcher m = LABEL_REF.matcher(spec.trim());
    return m.matches() ? m.group(1) : null;
  }

  /** Whether a field value looks like a template but is not one ({{ ... }} of another form). */
  public static boolean badTemplate(String spec) {
    return spec != null && spec.contains("{{") && labelRef(spec) == null;
  }
}
